// The provider account's own limits from settings (models.<role>.rpm and .tpm; 0 = none), shared by
// every gateway through Redis: a model call over a limit waits for room (until the turn is stopped)
// instead of running into the provider's 429. Requests per minute: an exact sliding window; tokens
// per minute: the tokens used in the current clock minute, counted after each call.
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { hit } from "../ratelimit/limiter";

export interface PacedTarget {
  baseUrl: string;
  model: string;
  rpm: number;
  tpm: number;
}

export const pacingId = (t: PacedTarget) =>
  createHash("sha1").update(`${t.baseUrl}\u0000${t.model}`).digest("hex").slice(0, 16);
const tokenKey = (t: PacedTarget, now: number) => `provider:tpm:${pacingId(t)}:${Math.floor(now / 60_000)}`;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Resolves when the next call fits the limits (and records it), or when `signal` aborts. */
export async function waitForProviderRoom(
  redis: Redis,
  target: PacedTarget,
  signal: AbortSignal,
  windowMs = 60_000,
): Promise<{ waitedMs: number }> {
  const started = Date.now();
  for (;;) {
    if (signal.aborted) return { waitedMs: Date.now() - started };
    let waitMs = 0;
    if (target.tpm > 0) {
      const now = Date.now();
      const used = Number((await redis.get(tokenKey(target, now))) ?? 0);
      if (used >= target.tpm) waitMs = 60_000 - (now % 60_000) + 10;
    }
    if (!waitMs && target.rpm > 0) {
      const r = await hit(redis, [{ key: `provider:rpm:${pacingId(target)}`, limit: target.rpm }], windowMs);
      if (!r.allowed) waitMs = Math.max(20, r.resetMs);
    }
    if (!waitMs) return { waitedMs: Date.now() - started };
    await sleep(waitMs, signal);
  }
}

/** After a call: adds the tokens it used to this minute's count. */
export async function countProviderTokens(redis: Redis, target: PacedTarget, tokens: number): Promise<void> {
  if (target.tpm <= 0 || tokens <= 0) return;
  const key = tokenKey(target, Date.now());
  await redis.multi().incrby(key, tokens).expire(key, 120).exec();
}
