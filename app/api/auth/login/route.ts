// POST /api/auth/login {email, password}: sets the browser session cookie. 401 with one message for
// an unknown email and a wrong password alike; 403 for a disabled account with the right password.
import { auditRequest } from "@/lib/audit/log";
import { AppError } from "@/lib/errors";
import { getConfig } from "@/lib/config";
import { jsonBody } from "@/lib/http/json-body";
import { route } from "@/lib/http/route";
import { loginBody } from "./schema";
import { sessionCookie, signIn } from "@/lib/auth/web-session";
import { CLIENT_IP_HEADER } from "@/lib/http/client-ip";
import { db } from "@/lib/server/db";
import { logger } from "@/lib/server/logger";
import { redis } from "@/lib/server/redis";

export const dynamic = "force-dynamic";

export const POST = route(async (request) => {
  const { settings } = getConfig();
  const body = await jsonBody(request, loginBody, 16_384);
  const ip = request.headers.get(CLIENT_IP_HEADER) ?? "unknown";
  let signedIn: Awaited<ReturnType<typeof signIn>>;
  try {
    signedIn = await signIn(db(), redis(), body.email, body.password, ip);
  } catch (err) {
    // 403 for a disabled account (said only after the right password, so it names no account).
    const disabled = err instanceof AppError && err.code === "forbidden";
    if (err instanceof AppError && (err.code === "unauthorized" || disabled)) {
      // The account's tenant, when the email is known, so its admins see attempts on their users.
      const user = await db()
        .user.findUnique({ where: { email: body.email.trim().toLowerCase() }, select: { tenantId: true } })
        .catch((lookupErr: unknown) => {
          logger().warn({ err: lookupErr }, "sign-in audit: cannot find the account's tenant");
          return null;
        });
      await auditRequest(request, null, {
        action: "auth.login",
        outcome: "denied",
        tenantId: user?.tenantId ?? null,
        details: {
          email: body.email.trim().toLowerCase(),
          reason: disabled ? "account disabled" : "wrong email or password",
        },
      });
      // Answered here: the route wrapper would audit the 403 a second time, without the tenant.
      if (disabled) return Response.json(err.toBody(), { status: err.status, headers: err.headers });
    }
    throw err;
  }
  const { secret, principal } = signedIn;
  await auditRequest(request, principal, { action: "auth.login", outcome: "success" });
  const secure = settings.server.publicUrl.startsWith("https:");
  return Response.json(
    { userId: principal.userId, tenantId: principal.tenantId, email: principal.email, role: principal.role },
    { headers: { "set-cookie": sessionCookie(secret, secure), "cache-control": "no-store" } },
  );
});
