// Sign-in attempts: limited per address and per (account, address); after repeated failures from one
// address an account is slowed, then locked for that address only (even with the right password), so
// guessing is slow. Failures across all addresses only slow the account down: nobody can lock the
// owner out by failing on purpose, and the owner can still sign in from an address that has not failed.
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

const failKey = (email: string, ip: string) => `auth:fail:${email}:${ip}`;
const lockKey = (email: string, ip: string) => `auth:lock:${email}:${ip}`;
/** Failures from every address: never locks, only slows. */
const accountFailKey = (email: string) => `auth:fail:${email}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Before checking a password: refuses locked (account, address) pairs and callers over the attempt limit. */
export async function beforeSignIn(redis: Redis, email: string, ip: string): Promise<void> {
  const lockTtl = await redis.ttl(lockKey(email, ip));
  if (lockTtl > 0)
    throw new AppError(
      "rate_limited",
      `Too many failed sign-ins for this account from this address. Try again in ${Math.ceil(lockTtl / 60)} min.`,
      { headers: { "retry-after": String(lockTtl) } },
    );
  const { tenants, settings } = getConfig();
  const limit = (tenants[settings.tenancy.defaultTenant]?.rateLimits ?? DEFAULT_RATE_LIMITS).authAttempts;
  const r = await hit(redis, [
    { key: `authAttempts:ip:${ip}`, limit: limit * 3 },
    { key: `authAttempts:email:${email}:${ip}`, limit },
  ]);
  if (!r.allowed) throw refusal(r, "sign-in attempts");
  // An account under attack from many addresses answers slowly for everyone, but still answers.
  const accountFailures = Number((await redis.get(accountFailKey(email))) ?? 0);
  if (accountFailures >= LOCK_AFTER) await sleep(SLOW_MS);
}

/** After a wrong password: counts it; slows the answer, then locks the account for this address. */
export async function afterFailedSignIn(redis: Redis, email: string, ip: string): Promise<void> {
  const [failures] = await Promise.all([redis.incr(failKey(email, ip)), redis.incr(accountFailKey(email))]);
  await Promise.all([
    redis.expire(failKey(email, ip), FAIL_WINDOW_S, "NX"),
    redis.expire(accountFailKey(email), FAIL_WINDOW_S, "NX"),
  ]);
  if (failures >= LOCK_AFTER) {
    await redis.set(lockKey(email, ip), "1", "EX", LOCK_S);
    await redis.del(failKey(email, ip));
  }
  if (failures >= SLOW_AFTER) await sleep(SLOW_MS);
}

export async function afterSignIn(redis: Redis, email: string, ip: string): Promise<void> {
  await redis.del(failKey(email, ip));
}
