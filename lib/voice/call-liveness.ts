// Calls whose gateway died (killed, not stopped) would stay open in `voice_calls` and never count
// against the voice minutes. Each gateway renews a short-lived key for every call it holds; any
// gateway's sweeper ends the rows whose key has expired, counting the call up to its last renewal.
import type { Redis } from "ioredis";
import type { Db } from "../server/db";

export const LIVENESS_TTL_S = 30;
export const RENEW_MS = 10_000;

const key = (callId: string) => `voice:call:${callId}:alive`;

/** Marks the call alive now (and when it was last seen, for the sweeper's arithmetic). */
export async function renewCall(redis: Redis, callId: string): Promise<void> {
  await redis.set(key(callId), String(Date.now()), "EX", LIVENESS_TTL_S);
}

/**
 * Whether a call's gateway has stopped renewing it (killed): its last renewal is older than one and
 * a half renewal periods. `startedMsAgo` covers a call whose first renewal is not written yet.
 */
export async function callLost(redis: Redis, callId: string, startedMsAgo: number): Promise<boolean> {
  const seen = await redis.get(key(callId));
  if (seen !== null) return Date.now() - Number(seen) > RENEW_MS * 1.5;
  return startedMsAgo > RENEW_MS * 1.5;
}

export async function forgetCall(redis: Redis, callId: string): Promise<void> {
  await redis.del(key(callId));
}

/** Ends open calls no gateway renews any more; returns how many. */
export async function sweepLostCalls(db: Db, redis: Redis, now = new Date()): Promise<number> {
  const open = await db.voiceCall.findMany({
    where: { endedAt: null, startedAt: { lt: new Date(now.getTime() - LIVENESS_TTL_S * 1000) } },
    select: { id: true, tenantId: true, userId: true, sessionId: true, startedAt: true },
    take: 100,
  });
  let ended = 0;
  for (const call of open) {
    if (await redis.exists(key(call.id))) continue;
    // The key expired LIVENESS_TTL_S after the last renewal: count the call up to then.
    const last = new Date(Math.max(call.startedAt.getTime(), now.getTime() - LIVENESS_TTL_S * 1000));
    const audioSeconds = (last.getTime() - call.startedAt.getTime()) / 1000;
    const changed = await db.voiceCall.updateMany({
      where: { id: call.id, endedAt: null },
      data: { endedAt: last, endReason: "gateway_lost", audioSeconds },
    });
    if (changed.count === 0) continue;
    await db.usageRecord.create({
      data: {
        tenantId: call.tenantId,
        userId: call.userId,
        sessionId: call.sessionId,
        model: "voice-call",
        audioSeconds,
      },
      select: { id: true },
    });
    ended++;
  }
  return ended;
}
