// Waking the gateway whose turn waits for a tool result. Results arrive at any gateway (bus consumer
// group, or the callback endpoint); each publishes on Redis, and the waiting gateway - whichever it
// is - hears it on its subscription. Postgres stays the source of truth for the result itself.
import type { Redis } from "ioredis";
import { channelHub, type ChannelHub } from "../realtime/channel-hub";
import type { Db } from "../server/db";
import { isFinal } from "../tool-status";

export const doneChannel = (toolCallId: string) => `toolcall:done:${toolCallId}`;

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

export type ResultWaiters = ChannelHub;

export function resultWaiters(redisUrl: string): ResultWaiters {
  return channelHub(redisUrl);
}

/**
 * Resolves when the call is finished (woken by Redis, never by polling), or null at the deadline or
 * when `signal` aborts.
 */
export async function waitForToolCall(
  db: Db,
  waiters: ResultWaiters,
  toolCallId: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<FinishedToolCall | null> {
  const channel = doneChannel(toolCallId);
  const read = () =>
    db.toolCall.findUnique({
      where: { id: toolCallId },
      select: { id: true, status: true, result: true, error: true, startedAt: true, completedAt: true },
    });
  let wake!: () => void;
  const woken = new Promise<void>((resolve) => (wake = resolve));
  const unlisten = await waiters.listen(channel, () => wake());
  try {
    // Subscribed first, then one read: a result that landed before the subscription is not missed.
    const first = await read();
    if (first && isFinal(first.status)) return first;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const timedOut = await Promise.race([
      woken.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
        onAbort = () => resolve(true);
        if (signal?.aborted) resolve(true);
        signal?.addEventListener("abort", onAbort, { once: true });
      }),
    ]);
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
    if (timedOut) return null;
    const done = await read();
    return done && isFinal(done.status) ? done : null;
  } finally {
    await unlisten();
  }
}
