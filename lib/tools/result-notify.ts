// Waking the gateway whose turn waits for a tool result. Results arrive at any gateway (bus consumer
// group, or the callback endpoint); each publishes on Redis, and the waiting gateway - whichever it
// is - hears it on its subscription. Postgres stays the source of truth for the result itself.
import type { Redis } from "ioredis";
import { singleton } from "../singleton";
import { createRedis } from "../server/redis";
import type { Db } from "../server/db";

export const doneChannel = (toolCallId: string) => `toolcall:done:${toolCallId}`;
const TERMINAL = ["succeeded", "failed", "denied", "timeout", "killed"];

export async function notifyToolDone(redis: Redis, toolCallId: string): Promise<void> {
  await redis.publish(doneChannel(toolCallId), "1");
}

export interface FinishedToolCall {
  id: string;
  status: string;
  result: unknown;
  error: string | null;
  startedAt: Date | null;
  completedAt: Date | null;
}

/** One subscriber connection per process, shared by every waiter. */
class ResultWaiters {
  private sub: Redis;
  private waiters = new Map<string, Set<() => void>>();
  constructor(redisUrl: string) {
    this.sub = createRedis(redisUrl, { blocking: true });
    this.sub.on("error", () => undefined);
    this.sub.on("message", (channel: string) => {
      for (const wake of this.waiters.get(channel) ?? []) wake();
    });
  }
  async add(channel: string, wake: () => void): Promise<void> {
    let set = this.waiters.get(channel);
    if (!set) {
      set = new Set();
      this.waiters.set(channel, set);
      await this.sub.subscribe(channel);
    }
    set.add(wake);
  }
  async remove(channel: string, wake: () => void): Promise<void> {
    const set = this.waiters.get(channel);
    if (!set) return;
    set.delete(wake);
    if (set.size === 0) {
      this.waiters.delete(channel);
      await this.sub.unsubscribe(channel).catch(() => undefined);
    }
  }
  close(): void {
    this.sub.disconnect();
  }
}

export function resultWaiters(redisUrl: string): ResultWaiters {
  return singleton(`result-waiters:${redisUrl}`, () => new ResultWaiters(redisUrl));
}

/** Resolves when the call is finished (woken by Redis, never by polling), or null at the deadline. */
export async function waitForToolCall(
  db: Db,
  waiters: ResultWaiters,
  toolCallId: string,
  timeoutMs: number,
): Promise<FinishedToolCall | null> {
  const channel = doneChannel(toolCallId);
  const read = () =>
    db.toolCall.findUnique({
      where: { id: toolCallId },
      select: { id: true, status: true, result: true, error: true, startedAt: true, completedAt: true },
    });
  let wake!: () => void;
  const woken = new Promise<void>((resolve) => (wake = resolve));
  await waiters.add(channel, wake);
  try {
    // Subscribed first, then one read: a result that landed before the subscription is not missed.
    const first = await read();
    if (first && TERMINAL.includes(first.status)) return first;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      woken.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) return null;
    const done = await read();
    return done && TERMINAL.includes(done.status) ? done : null;
  } finally {
    await waiters.remove(channel, wake);
  }
}
