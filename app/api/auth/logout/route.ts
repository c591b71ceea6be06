// POST /api/auth/logout: ends the browser session everywhere and clears the cookie.
import { auditRequest } from "@/lib/audit/log";
import { db } from "@/lib/server/db";
import { getConfig } from "@/lib/config";
import { route } from "@/lib/http/route";
import { clearedCookie, signOut } from "@/lib/auth/web-session";
import { authenticate, SESSION_COOKIE } from "@/lib/auth/principal";
import { cookieValue } from "@/lib/auth/tokens";
import { redis } from "@/lib/server/redis";

export const dynamic = "force-dynamic";

export const POST = route(async (request) => {
  const principal = await authenticate(
    { cookie: request.headers.get("cookie") },
    { db: db(), redis: redis() },
  ).catch(() => null);
  await signOut(redis(), cookieValue(request.headers.get("cookie"), SESSION_COOKIE));
  if (principal) await auditRequest(request, principal, { action: "auth.logout", outcome: "success" });
  const secure = getConfig().settings.server.publicUrl.startsWith("https:");
  return new Response(null, { status: 204, headers: { "set-cookie": clearedCookie(secure) } });
});
