// POST /api/v1/sessions/{id}/cancel {turnId?}: stops the running turn (its stream and its tools),
// wherever it runs. 202 {turnId}; 409 when no turn is running.
import { requirePrincipal } from "@/lib/auth/require";
import { getConfig } from "@/lib/config";
import { optionalJsonBody } from "@/lib/http/json-body";
import { route, type Params } from "@/lib/http/route";
import { turns } from "@/lib/agent/turns";
import { cancelTurnBody } from "@/lib/sessions/schemas";
import { sessionFor } from "@/lib/sessions/service";

export const dynamic = "force-dynamic";

export const POST = route<Params<{ id: string }>>(async (request, { params }) => {
  const principal = await requirePrincipal(request);
  const { id } = await params;
  await sessionFor(principal, id, "write");
  const body = await optionalJsonBody(request, cancelTurnBody, getConfig().settings.server.bodyLimitBytes);
  return Response.json(await turns().cancel(id, body.turnId), { status: 202 });
});
