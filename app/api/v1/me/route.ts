// GET /api/v1/me: the authenticated caller.
import { requirePrincipal } from "@/lib/auth/require";
import { toResponse } from "@/lib/errors";

export const dynamic = "force-dynamic";

export async function GET(request: Request) {
  try {
    const p = await requirePrincipal(request);
    return Response.json({
      userId: p.userId,
      tenantId: p.tenantId,
      email: p.email,
      role: p.role,
      via: p.kind,
    });
  } catch (err) {
    return toResponse(err);
  }
}
