// ioredis, one command connection per process. Commands fail fast while Redis is down (no offline
// queue), so readiness and request handlers report the outage instead of hanging.
import { Redis } from "ioredis";
import { singleton } from "../singleton";
import { getConfig } from "../config";

export function createRedis(url: string, opts: { blocking?: boolean } = {}): Redis {
  return new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: opts.blocking ?? false,
    maxRetriesPerRequest: opts.blocking ? null : 1,
    connectTimeout: 3_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
}

export function redis(): Redis {
  return singleton("redis", () => {
    const client = createRedis(getConfig().settings.redis.url);
    // Connection errors are reported by /readyz; without a listener ioredis would log them raw.
    client.on("error", () => undefined);
    return client;
  });
}
