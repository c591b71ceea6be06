// Rate limits in Redis, shared by every gateway process: an exact sliding window (a sorted set of
// request times per key) checked and recorded atomically for several keys at once (the caller and
// its tenant), on Redis's clock. A refused request is not counted.
import type { Redis } from "ioredis";
import { AppError } from "../errors";

// KEYS: one sorted set per limit. ARGV: window ms, member id, then one limit per key.
// Returns {allowed, remaining (of the tightest key), reset ms (of the tightest key)}.
const SLIDING_WINDOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local allowed = 1
local remaining = nil
local reset = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 + i])
  redis.call('ZREMRANGEBYSCORE', key, 0, now - window)
  local count = redis.call('ZCARD', key)
  local left = limit - count
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  local resetIn = window
  if oldest[2] then resetIn = tonumber(oldest[2]) + window - now end
  if left <= 0 then
    allowed = 0
    if resetIn > reset then reset = resetIn end
  end
  if remaining == nil or left - 1 < remaining then
    remaining = left - 1
    if allowed == 1 then reset = resetIn end
  end
end
if allowed == 1 then
  for i, key in ipairs(KEYS) do
    redis.call('ZADD', key, now, ARGV[2] .. ':' .. now)
    redis.call('PEXPIRE', key, window)
  end
end
if remaining == nil or remaining < 0 then remaining = 0 end
return {allowed, remaining, reset}
`;

export interface LimitKey {
  key: string;
  limit: number;
}

export interface LimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetMs: number;
}

type WithScript = Redis & {
  somaSlidingWindow(numKeys: number, ...args: (string | number)[]): Promise<[number, number, number]>;
};

let counter = 0;

export async function hit(redis: Redis, keys: LimitKey[], windowMs = 60_000): Promise<LimitResult> {
  const r = redis as WithScript;
  if (typeof r.somaSlidingWindow !== "function")
    r.defineCommand("somaSlidingWindow", { lua: SLIDING_WINDOW });
  const member = `${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
  const [allowed, remaining, resetMs] = await r.somaSlidingWindow(
    keys.length,
    ...keys.map((k) => `ratelimit:${k.key}`),
    windowMs,
    member,
    ...keys.map((k) => k.limit),
  );
  return { allowed: allowed === 1, limit: Math.min(...keys.map((k) => k.limit)), remaining, resetMs };
}

/** RateLimit-* headers (IETF draft) and, when refused, Retry-After. */
export function rateLimitHeaders(r: LimitResult): Record<string, string> {
  const reset = String(Math.max(1, Math.ceil(r.resetMs / 1000)));
  return {
    "ratelimit-limit": String(r.limit),
    "ratelimit-remaining": String(r.remaining),
    "ratelimit-reset": reset,
    ...(r.allowed ? {} : { "retry-after": reset }),
  };
}

export function refusal(r: LimitResult, what: string): AppError {
  return new AppError(
    "rate_limited",
    `Too many ${what}: the limit is ${r.limit} a minute. Try again in ${Math.max(1, Math.ceil(r.resetMs / 1000))} s.`,
    { headers: rateLimitHeaders(r) },
  );
}
