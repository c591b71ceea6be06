// Waking the gateway whose turn waits for a tool result. Results arrive at any gateway (bus consumer
// group, or the callback endpoint); each publishes on Redis, and the waiting gateway - whichever it
// is - hears it on its subscription. Postgres stays the source of truth for the result itself.
import type { Redis } from "ioredis";
import { channelHub, type ChannelHub } from "../realtime/channel-hub";
import { sqlPool, type Db } from "../server/db";
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

export interface ToolCallListener {
  /** The finished call once woken (then read from Postgres), or null at the deadline or on abort. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<FinishedToolCall | null>;
  /** Stops listening (not awaited by callers: the unsubscribe is nobody's wait). */
  stop(): Promise<void>;
}

/** The call as it stands (on the pool, lib/server/db.ts: this read is every round trip's last step). */
async function readCall(db: Db, toolCallId: string): Promise<FinishedToolCall | null> {
  const { rows } = await sqlPool(db).query<FinishedToolCall>({
    name: "tool-call-read",
    text: `
      SELECT id, status, result, error,
             started_at AT TIME ZONE 'UTC' AS "startedAt", completed_at AT TIME ZONE 'UTC' AS "completedAt"
      FROM tool_calls WHERE id = $1::uuid`,
    values: [toolCallId],
  });
  return rows[0] ?? null;
}

/**
 * Listens for a call's result. Subscribed before the call is even enqueued (callTool), no result can
 * come before the subscription, so waiting needs no read first: the one read is the result's.
 */
export async function listenForToolCall(
  db: Db,
  waiters: ResultWaiters,
  toolCallId: string,
): Promise<ToolCallListener> {
  let wake!: () => void;
  const woken = new Promise<void>((resolve) => (wake = resolve));
  const unlisten = await waiters.listen(doneChannel(toolCallId), () => wake());
  return {
    async wait(timeoutMs, signal) {
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
      const done = await readCall(db, toolCallId);
      return done && isFinal(done.status) ? done : null;
    },
    stop: unlisten,
  };
}

/**
 * Resolves when the call, enqueued already, is finished (woken by Redis, never by polling), or null
 * at the deadline or when `signal` aborts.
 */
export async function waitForToolCall(
  db: Db,
  waiters: ResultWaiters,
  toolCallId: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<FinishedToolCall | null> {
  const listener = await listenForToolCall(db, waiters, toolCallId);
  try {
    // Subscribed first, then one read: a result that landed before the subscription is not missed.
    const first = await readCall(db, toolCallId);
    if (first && isFinal(first.status)) return first;
    return await listener.wait(timeoutMs, signal);
  } finally {
    void listener.stop();
  }
}
