// HTTP handlers of a direct realtime start, shared by POST /api/v1/realtime/session and its
// compatibility path POST /realtime_session, and of the attach that hands the call to the gateway.
import { z } from "zod";
import { auditRequest } from "../../audit/log";
import { requirePrincipal } from "../../auth/require";
import { AppError } from "../../errors";
import { jsonBody } from "../../http/json-body";
import { attachDirect, startDirect } from "./direct";

export const startDirectBody = z
  .object({ sessionId: z.uuid(), input: z.enum(["push-to-talk", "hands-free"]).optional() })
  .strict();
export const attachDirectBody = z
  .object({ providerCallId: z.string().regex(/^[\w-]{1,128}$/, "a provider call id") })
  .strict();
const NO_STORE = { "cache-control": "no-store" };

export async function startDirectCall(request: Request): Promise<Response> {
  const principal = await requirePrincipal(request);
  const body = await jsonBody(request, startDirectBody, 4096);
  const started = await startDirect(principal, body);
  await auditRequest(request, principal, {
    action: "voice.start",
    outcome: "success",
    resource: `session ${body.sessionId}`,
    details: { callId: started.callId, mode: "realtime", direct: true },
  });
  return Response.json(started, { status: 201, headers: NO_STORE });
}

export async function attachDirectCall(request: Request, callId: string): Promise<Response> {
  const principal = await requirePrincipal(request);
  const body = await jsonBody(request, attachDirectBody, 4096);
  if (!z.uuid().safeParse(callId).success) throw new AppError("not_found", "No such call.");
  return Response.json(await attachDirect(principal, callId, body.providerCallId), { headers: NO_STORE });
}
