// The settings API's handlers, shared by /api/v1/settings and the compatibility paths
// /settings_get and /settings_set.
import { auditRequest } from "../audit/log";
import { requirePrincipal } from "../auth/require";
import { jsonBody } from "../http/json-body";
import { redis } from "../server/redis";
import { z } from "zod";
import { isSettingsAdmin, requireSettingsAdmin } from "./access";
import { readerView, settingsView, updateSettings } from "./service";

/** Settings bodies are small; anything bigger is refused before it is parsed. */
export const SETTINGS_BODY_LIMIT = 65_536;

export async function getSettings(request: Request): Promise<Response> {
  const principal = await requirePrincipal(request);
  const view = (await isSettingsAdmin(principal)) ? settingsView() : readerView(settingsView());
  return Response.json(view, { headers: { "cache-control": "no-store" } });
}

export async function putSettings(request: Request): Promise<Response> {
  const principal = await requireSettingsAdmin(request);
  const body = await jsonBody(request, z.record(z.string(), z.unknown()), SETTINGS_BODY_LIMIT);
  const { view, changes } = await updateSettings(body, redis());
  await auditRequest(request, principal, {
    action: "settings.update",
    outcome: "success",
    resource: "settings",
    details: { changes },
  });
  return Response.json(view, { headers: { "cache-control": "no-store" } });
}
