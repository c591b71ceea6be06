// Sign-in attempts: limited per address and per account; after repeated failures an account's
// attempts are slowed, then locked for a while (even with the right password), so guessing is slow.
import type { Redis } from "ioredis";
import { getConfig } from "../config";
import { AppError } from "../errors";
import { hit, refusal } from "../ratelimit/limiter";
import { DEFAULT_RATE_LIMITS } from "../ratelimit/policy";

const FAIL_WINDOW_S = 15 * 60;
export const SLOW_AFTER = 5;
export const LOCK_AFTER = 10;
const LOCK_S = 15 * 60;
const SLOW_MS = 1000;

const failKey = (email: string) => `auth:fail:${email}`;
const lockKey = (email: string) => `auth:lock:${email}`;

/** Before checking a password: refuses locked accounts and callers over the attempt limit. */
export async function beforeSignIn(redis: Redis, email: string, ip: string): Promise<void> {
  const lockTtl = await redis.ttl(lockKey(email));
  if (lockTtl > 0)
    throw new AppError(
      "rate_limited",
      `Too many failed sign-ins for this account. Try again in ${Math.ceil(lockTtl / 60)} min.`,
      { headers: { "retry-after": String(lockTtl) } },
    );
  const { tenants, settings } = getConfig();
  const limit = (tenants[settings.tenancy.defaultTenant]?.rateLimits ?? DEFAULT_RATE_LIMITS).authAttempts;
  const r = await hit(redis, [
    { key: `authAttempts:ip:${ip}`, limit: limit * 3 },
    { key: `authAttempts:email:${email}`, limit },
  ]);
  if (!r.allowed) throw refusal(r, "sign-in attempts");
}

/** After a wrong password: counts it; slows the answer, then locks the account. */
export async function afterFailedSignIn(redis: Redis, email: string): Promise<void> {
  const failures = await redis.incr(failKey(email));
  if (failures === 1) await redis.expire(failKey(email), FAIL_WINDOW_S);
  if (failures >= LOCK_AFTER) {
    await redis.set(lockKey(email), "1", "EX", LOCK_S);
    await redis.del(failKey(email));
  }
  if (failures >= SLOW_AFTER) await new Promise((r) => setTimeout(r, SLOW_MS));
}

export async function afterSignIn(redis: Redis, email: string): Promise<void> {
  await redis.del(failKey(email));
}
