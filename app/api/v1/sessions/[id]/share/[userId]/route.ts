// DELETE /api/v1/sessions/{id}/share/{userId}: the owner stops sharing the session with a user; they
// lose access at once (their next read is a 404). 204.
import { auditRequest } from "@/lib/audit/log";
import { requirePrincipal } from "@/lib/auth/require";
import { route, type Params } from "@/lib/http/route";
import { unshareSession } from "@/lib/sessions/service";

export const dynamic = "force-dynamic";

export const DELETE = route<Params<{ id: string; userId: string }>>(async (request, { params }) => {
  const principal = await requirePrincipal(request);
  const { id, userId } = await params;
  await unshareSession(principal, id, userId);
  await auditRequest(request, principal, {
    action: "session.unshare",
    outcome: "success",
    resource: `session:${id}`,
    details: { unsharedWith: userId },
  });
  return new Response(null, { status: 204 });
});
