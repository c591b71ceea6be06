// POST /api/v1/sessions/{id}/share {email | userId}: the owner shares a session with another user
// of the same tenant as viewer (may read it and follow its events, may not post). 200 {sessionId,
// userId, relation}; 403 for a viewer; 404 for an unknown session or user.
// GET /api/v1/sessions/{id}/share: who it is shared with, {items: [{userId, email}]} (owner only).
import { auditRequest } from "@/lib/audit/log";
import { requirePrincipal } from "@/lib/auth/require";
import { getConfig } from "@/lib/config";
import { jsonBody } from "@/lib/http/json-body";
import { route, type Params } from "@/lib/http/route";
import { shareSessionBody } from "@/lib/sessions/schemas";
import { listShares, shareSession } from "@/lib/sessions/service";

export const dynamic = "force-dynamic";

export const POST = route<Params<{ id: string }>>(async (request, { params }) => {
  const principal = await requirePrincipal(request);
  const { id } = await params;
  const body = await jsonBody(request, shareSessionBody, getConfig().settings.server.bodyLimitBytes);
  const share = await shareSession(principal, id, body);
  await auditRequest(request, principal, {
    action: "session.share",
    outcome: "success",
    resource: `session:${id}`,
    details: { sharedWith: share.userId, relation: share.relation },
  });
  return Response.json(share);
});

export const GET = route<Params<{ id: string }>>(async (request, { params }) => {
  const principal = await requirePrincipal(request);
  return Response.json({ items: await listShares(principal, (await params).id) });
});
