// GET /api/auth/session: who is signed in, or {user: null} (200 either way, so pages can ask
// without producing an error).
import { authenticate } from "@/lib/auth/principal";
import { route } from "@/lib/http/route";
import { db } from "@/lib/server/db";
import { redis } from "@/lib/server/redis";

export const dynamic = "force-dynamic";

export const GET = route(async (request) => {
  const p = await authenticate(
    { authorization: request.headers.get("authorization"), cookie: request.headers.get("cookie") },
    { db: db(), redis: redis() },
  );
  return Response.json(
    { user: p ? { userId: p.userId, tenantId: p.tenantId, email: p.email, role: p.role } : null },
    { headers: { "cache-control": "no-store" } },
  );
});
