// POST /api/auth/logout: ends the browser session everywhere and clears the cookie.
import { getConfig } from "@/lib/config";
import { route } from "@/lib/http/route";
import { clearedCookie, signOut } from "@/lib/auth/web-session";
import { SESSION_COOKIE } from "@/lib/auth/principal";
import { cookieValue } from "@/lib/auth/tokens";
import { redis } from "@/lib/server/redis";

export const dynamic = "force-dynamic";

export const POST = route(async (request) => {
  await signOut(redis(), cookieValue(request.headers.get("cookie"), SESSION_COOKIE));
  const secure = getConfig().settings.server.publicUrl.startsWith("https:");
  return new Response(null, { status: 204, headers: { "set-cookie": clearedCookie(secure) } });
});
