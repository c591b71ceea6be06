// Browser sign-in: email and password (scrypt hashes) give an httpOnly SameSite=Lax session cookie;
// the session itself lives in Redis, so signing out ends it at once on every gateway process.
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { Db } from "../server/db";
import { AppError } from "../errors";
import { afterFailedSignIn, afterSignIn, beforeSignIn } from "./login-guard";
import { hashPassword, needsRehash, verifyPassword } from "./password";
import { hashSecret } from "./tokens";
import { SECURE_SESSION_COOKIE, SESSION_COOKIE, webSessionKey, type Principal } from "./principal";
import { publishRevocation } from "./revocation";

export const WEB_SESSION_TTL_S = 7 * 24 * 3600;

/** Same work for unknown emails as for wrong passwords, so timing does not reveal accounts. */
const DUMMY_HASH =
  "scrypt$131072$8$1$c29tYWFnZW50LWR1bW15$0000000000000000000000000000000000000000000000000000000000000000";

export async function signIn(
  db: Db,
  redis: Redis,
  email: string,
  password: string,
  ip = "unknown",
): Promise<{ secret: string; principal: Principal }> {
  const normalized = email.trim().toLowerCase();
  await beforeSignIn(redis, normalized, ip);
  const user = await db.user.findUnique({
    where: { email: normalized },
    select: { id: true, tenantId: true, role: true, email: true, passwordHash: true, disabledAt: true },
  });
  const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH).catch(() => false);
  if (!user || !user.passwordHash || !ok || user.disabledAt) {
    await afterFailedSignIn(redis, normalized, ip);
    throw new AppError("unauthorized", "Wrong email or password.");
  }
  await afterSignIn(redis, normalized, ip);
  // A hash from before the cost was raised is replaced now that the password is at hand.
  if (needsRehash(user.passwordHash))
    await db.user.updateMany({
      where: { id: user.id, passwordHash: user.passwordHash },
      data: { passwordHash: await hashPassword(password) },
    });
  const principal: Principal = {
    kind: "session",
    userId: user.id,
    tenantId: user.tenantId,
    role: user.role,
    email: user.email,
  };
  const secret = randomBytes(32).toString("base64url");
  await redis.set(webSessionKey(hashSecret(secret)), JSON.stringify(principal), "EX", WEB_SESSION_TTL_S);
  return { secret, principal };
}

export async function signOut(redis: Redis, secret: string | undefined): Promise<void> {
  if (!secret) return;
  const sessionHash = hashSecret(secret);
  await redis.del(webSessionKey(sessionHash));
  await publishRevocation(redis, { kind: "web-session", sessionHash, reason: "You signed out." });
}

export function sessionCookie(secret: string, secure: boolean): string {
  const name = secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
  return `${name}=${secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${WEB_SESSION_TTL_S}${secure ? "; Secure" : ""}`;
}

export function clearedCookie(secure: boolean): string {
  const name = secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
  return `${name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure ? "; Secure" : ""}`;
}
