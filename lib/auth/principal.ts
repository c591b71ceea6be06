// Who is calling: an API token (Authorization: Bearer) or the browser's session cookie.
// Token lookups are cached in Redis for a short time; revocation deletes the cache entry, so a
// revoked token stops working at once on every gateway process.
import { z } from "zod";
import type { Redis } from "ioredis";
import type { Db } from "../server/db";
import { AppError } from "../errors";
import { bearerToken, cookieValue, hashSecret } from "./tokens";

export const SESSION_COOKIE = "soma_session";
/** The name over https: the __Host- prefix makes browsers refuse it unless Secure, host-only and Path=/. */
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;

/** The browser session's secret from a Cookie header, under either name. */
export function sessionSecret(cookie: string | null | undefined): string | undefined {
  return cookieValue(cookie, SECURE_SESSION_COOKIE) ?? cookieValue(cookie, SESSION_COOKIE);
}
const TOKEN_CACHE_TTL_S = 60;
const NEGATIVE = "none";

export const principalSchema = z.object({
  /** "schedule": the scheduler acting as a schedule's owner (never from a request). */
  kind: z.enum(["token", "session", "schedule"]),
  userId: z.uuid(),
  tenantId: z.uuid(),
  role: z.enum(["admin", "member"]),
  email: z.string(),
  tokenId: z.uuid().optional(),
  /** For browser sessions: the hash of the session secret, so a sign-out can find its connections. */
  sessionHash: z.string().optional(),
  /** For kind "schedule": the schedule whose run this is. */
  scheduleId: z.uuid().optional(),
});
export type Principal = z.infer<typeof principalSchema>;

export const tokenCacheKey = (hash: string) => `auth:token:${hash}`;
export const webSessionKey = (hash: string) => `auth:websession:${hash}`;

export interface AuthDeps {
  db: Db;
  redis: Redis;
}

async function principalFromToken(token: string, { db, redis }: AuthDeps): Promise<Principal | null> {
  const hash = hashSecret(token);
  const cached = await redis.get(tokenCacheKey(hash));
  if (cached === NEGATIVE) return null;
  if (cached) {
    const parsed = principalSchema.safeParse(JSON.parse(cached));
    if (parsed.success) return parsed.data;
  }
  const row = await db.apiToken.findUnique({
    where: { tokenHash: hash },
    select: {
      id: true,
      revokedAt: true,
      expiresAt: true,
      user: { select: { id: true, tenantId: true, role: true, email: true, disabledAt: true } },
    },
  });
  const valid =
    row && !row.revokedAt && (!row.expiresAt || row.expiresAt > new Date()) && !row.user.disabledAt;
  if (!valid) {
    await redis.set(tokenCacheKey(hash), NEGATIVE, "EX", 5);
    return null;
  }
  const principal: Principal = {
    kind: "token",
    userId: row.user.id,
    tenantId: row.user.tenantId,
    role: row.user.role,
    email: row.user.email,
    tokenId: row.id,
  };
  const ttl = row.expiresAt
    ? Math.min(TOKEN_CACHE_TTL_S, Math.ceil((row.expiresAt.getTime() - Date.now()) / 1000))
    : TOKEN_CACHE_TTL_S;
  await redis.set(tokenCacheKey(hash), JSON.stringify(principal), "EX", Math.max(ttl, 1));
  return principal;
}

async function principalFromSession(secret: string, { redis }: AuthDeps): Promise<Principal | null> {
  const sessionHash = hashSecret(secret);
  const raw = await redis.get(webSessionKey(sessionHash));
  if (!raw) return null;
  const parsed = principalSchema.safeParse(JSON.parse(raw));
  return parsed.success ? { ...parsed.data, sessionHash } : null;
}

export interface Credentials {
  authorization?: string | null;
  cookie?: string | null;
}

/** Resolves the caller, or null when no valid credential was presented. */
export async function authenticate(creds: Credentials, deps: AuthDeps): Promise<Principal | null> {
  const token = bearerToken(creds.authorization);
  if (token) return principalFromToken(token, deps);
  const session = sessionSecret(creds.cookie);
  if (session) return principalFromSession(session, deps);
  return null;
}

/** The caller, or an AppError: 503 when the credential cannot be checked, 401 when there is none. */
export async function principalOrThrow(creds: Credentials, deps: AuthDeps): Promise<Principal> {
  let principal: Principal | null;
  try {
    principal = await authenticate(creds, deps);
  } catch (err) {
    throw new AppError("unavailable", "Sign-in cannot be checked right now; try again shortly.", {
      cause: err,
    });
  }
  if (!principal) {
    throw new AppError(
      "unauthorized",
      "Authentication required: send an API token as 'Authorization: Bearer <token>' or sign in.",
      {
        headers: { "www-authenticate": 'Bearer realm="somaagent"' },
      },
    );
  }
  return principal;
}
