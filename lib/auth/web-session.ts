// Browser sign-in: email and password (scrypt hashes) give an httpOnly SameSite=Lax session cookie;
// the session itself lives in Redis, so signing out ends it at once on every gateway process. A
// session carries the role its user signed in with, so each user's sessions are also listed in a
// Redis sorted set: disabling the user or changing their role ends all of them (endWebSessionsOf).
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

/** The hashes of a user's web sessions, scored by when they expire (past ones are pruned at sign-in). */
export const userWebSessionsKey = (userId: string) => `auth:user-websessions:${userId}`;

export const DISABLED_MESSAGE = "This account is disabled. Ask an admin of your tenant to enable it again.";

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
  if (!user || !user.passwordHash || !ok) {
    await afterFailedSignIn(redis, normalized, ip);
    throw new AppError("unauthorized", "Wrong email or password.");
  }
  // Said only to whoever knows the password, so it reveals nothing about which emails exist. It
  // still counts as a failure: guessing a disabled account's password stays as slow as any other.
  if (user.disabledAt) {
    await afterFailedSignIn(redis, normalized, ip);
    throw new AppError("forbidden", DISABLED_MESSAGE, { logContext: { userId: user.id } });
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
  const sessionHash = hashSecret(secret);
  await redis
    .multi()
    .set(webSessionKey(sessionHash), JSON.stringify(principal), "EX", WEB_SESSION_TTL_S)
    .zremrangebyscore(userWebSessionsKey(user.id), "-inf", Date.now())
    .zadd(userWebSessionsKey(user.id), Date.now() + WEB_SESSION_TTL_S * 1000, sessionHash)
    .expire(userWebSessionsKey(user.id), WEB_SESSION_TTL_S)
    .exec();
  // An admin who disabled the user or changed their role between the read above and the write
  // has already ended the sessions listed then; read again so this one cannot outlive the change.
  const now = await db.user.findUnique({ where: { id: user.id }, select: { role: true, disabledAt: true } });
  if (!now || now.disabledAt || now.role !== user.role) {
    await endWebSession(redis, user.id, sessionHash);
    throw now?.disabledAt
      ? new AppError("forbidden", DISABLED_MESSAGE)
      : new AppError("conflict", "Your account changed while you signed in; sign in again.");
  }
  return { secret, principal };
}

async function endWebSession(redis: Redis, userId: string, sessionHash: string): Promise<void> {
  await redis.multi().del(webSessionKey(sessionHash)).zrem(userWebSessionsKey(userId), sessionHash).exec();
}

/**
 * Ends every web session of a user at once: their next request is a 401. (What those sessions have
 * open is closed by the `user` revocation; see endUserAccess.) Returns how many were still live.
 */
export async function endWebSessionsOf(redis: Redis, userId: string): Promise<number> {
  const hashes = await redis.zrange(userWebSessionsKey(userId), 0, -1);
  if (!hashes.length) return 0;
  const tx = redis.multi();
  for (const h of hashes) tx.del(webSessionKey(h));
  tx.zrem(userWebSessionsKey(userId), ...hashes);
  const results = (await tx.exec()) ?? [];
  return results.slice(0, hashes.length).filter(([err, n]) => !err && n === 1).length;
}

export async function signOut(redis: Redis, secret: string | undefined): Promise<void> {
  if (!secret) return;
  const sessionHash = hashSecret(secret);
  const raw = await redis.get(webSessionKey(sessionHash));
  const userId = raw ? (JSON.parse(raw) as { userId?: unknown }).userId : undefined;
  if (typeof userId === "string") await endWebSession(redis, userId, sessionHash);
  else await redis.del(webSessionKey(sessionHash));
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
