// POST /api/auth/logout: ends the browser session everywhere and clears the cookie.
import { auditRequest } from "@/lib/audit/log";
import { db } from "@/lib/server/db";
import { getConfig } from "@/lib/config";
import { route } from "@/lib/http/route";
import { clearedCookie, signOut } from "@/lib/auth/web-session";
import { authenticate, sessionSecret } from "@/lib/auth/principal";
import { redis } from "@/lib/server/redis";

export const dynamic = "force-dynamic";

export const POST = route(async (request) => {
  const principal = await authenticate(
    { cookie: request.headers.get("cookie") },
    { db: db(), redis: redis() },
  ).catch(() => null);
  await signOut(redis(), sessionSecret(request.headers.get("cookie")));
  if (principal) await auditRequest(request, principal, { action: "auth.logout", outcome: "success" });
  const secure = getConfig().settings.server.publicUrl.startsWith("https:");
  return new Response(null, { status: 204, headers: { "set-cookie": clearedCookie(secure) } });
});
