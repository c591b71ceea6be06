// POST /api/v1/settings/test {target, provider?, baseUrl?, model?, voice?, apiKey?}: one minimal real
// request with the entered values; 200 {ok, latencyMs, message, code?} either way.
import { requireSettingsAdmin } from "@/lib/settings/access";
import { connectionTestBody, testConnection } from "@/lib/settings/connection-test";
import { jsonBody } from "@/lib/http/json-body";
import { route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

export const POST = route(async (request) => {
  await requireSettingsAdmin(request);
  const body = await jsonBody(request, connectionTestBody, 16_384);
  return Response.json(await testConnection(body), { headers: { "cache-control": "no-store" } });
});
