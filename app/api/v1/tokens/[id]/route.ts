// DELETE /api/v1/tokens/{id}: revokes the token at once on every gateway process.
import { auditRequest } from "@/lib/audit/log";
import { requirePrincipal } from "@/lib/auth/require";
import { revokeToken } from "@/lib/auth/token-service";
import { route, type Params } from "@/lib/http/route";
import { db } from "@/lib/server/db";
import { redis } from "@/lib/server/redis";

export const dynamic = "force-dynamic";

export const DELETE = route<Params<{ id: string }>>(async (request, { params }) => {
  const principal = await requirePrincipal(request);
  const { id } = await params;
  await revokeToken(db(), redis(), principal, id);
  await auditRequest(request, principal, {
    action: "token.revoke",
    outcome: "success",
    resource: `token:${id}`,
  });
  return new Response(null, { status: 204 });
});
