// Executor liveness in Redis: a key refreshed every second with a short TTL. A call claimed by an
// executor whose key has expired (killed, crashed) may be taken over by another.
import { randomUUID } from "node:crypto";
import os from "node:os";
import type { Redis } from "ioredis";

const TTL_S = 5;
const key = (id: string) => `executor:alive:${id}`;

export function newExecutorId(): string {
  return `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export async function isAlive(redis: Redis, executorId: string): Promise<boolean> {
  return (await redis.exists(key(executorId))) === 1;
}

export function startHeartbeat(redis: Redis, executorId: string): () => Promise<void> {
  const beat = () => redis.set(key(executorId), String(Date.now()), "EX", TTL_S).catch(() => undefined);
  void beat();
  const timer = setInterval(() => void beat(), 1_000);
  return async () => {
    clearInterval(timer);
    await redis.del(key(executorId)).catch(() => undefined);
  };
}
