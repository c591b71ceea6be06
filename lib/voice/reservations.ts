// Voice time held for calls that have not been counted yet: a direct realtime start reserves the
// call's longest length before the browser even connects, so two starts cannot both spend the last
// minutes of the day. A reservation lives in a Redis sorted set per tenant, scored by when it lapses
// (a gateway that dies leaves nothing behind for long); the allowance subtracts what is held.
import type { Redis } from "ioredis";

const key = (tenantId: string) => `voice:reserved:${tenantId}`;
const member = (callId: string, seconds: number) => `${callId}|${Math.ceil(seconds)}`;

/** Holds `seconds` of voice time for the call until `untilMs` (or until released). */
export async function reserveVoice(
  redis: Redis,
  tenantId: string,
  callId: string,
  seconds: number,
  untilMs: number,
): Promise<void> {
  await redis
    .multi()
    .zadd(key(tenantId), untilMs, member(callId, seconds))
    .expire(key(tenantId), 86_400)
    .exec();
}

export async function releaseVoice(
  redis: Redis,
  tenantId: string,
  callId: string,
  seconds: number,
): Promise<void> {
  await redis.zrem(key(tenantId), member(callId, seconds));
}

/** Seconds held by reservations that have not lapsed. */
export async function reservedVoiceSeconds(
  redis: Redis,
  tenantId: string,
  now = Date.now(),
): Promise<number> {
  await redis.zremrangebyscore(key(tenantId), "-inf", now);
  const held = await redis.zrange(key(tenantId), 0, -1);
  return held.reduce((sum, m) => sum + Number(m.split("|")[1] ?? 0), 0);
}
