// ioredis, one command connection per process. Commands wait for a (re)connection at most
// commandTimeout, so readiness and request handlers report an outage instead of hanging.
import { Redis } from "ioredis";
import { singleton } from "../singleton";
import { getConfig } from "../config";

export function createRedis(url: string, opts: { blocking?: boolean } = {}): Redis {
  return new Redis(url, {
    lazyConnect: false,
    maxRetriesPerRequest: opts.blocking ? null : 1,
    ...(opts.blocking ? {} : { commandTimeout: 2_000 }),
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
