// GET /api/v1/me: the authenticated caller.
import { requirePrincipal } from "@/lib/auth/require";
import { route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

export const GET = route(async (request) => {
  const p = await requirePrincipal(request);
  return Response.json({
    userId: p.userId,
    tenantId: p.tenantId,
    email: p.email,
    role: p.role,
    via: p.kind,
  });
});
