// Waking the gateway whose turn waits for a tool result. The executor publishes on Redis once the
// result is recorded (and results arriving on the bus or the callback endpoint publish again); every
// gateway hears all of them on one pattern subscription and wakes its own waiter, if it has one.
// Postgres stays the source of truth for the result itself: a wake-up only says "read it now".
import type { Redis } from "ioredis";
import { channelHub } from "../realtime/channel-hub";
import { sqlPool, type Db } from "../server/db";
import { singleton } from "../singleton";
import { z } from "zod";
import { isFinal, TOOL_FINAL_STATUSES } from "../tool-status";

const DONE_PREFIX = "toolcall:done:";
export const doneChannel = (toolCallId: string) => `${DONE_PREFIX}${toolCallId}`;

export interface FinishedToolCall {
  id: string;
  status: string;
  result: unknown;
  error: string | null;
}

/** A recorded result this small travels with its wake-up, so the waiter need not read it back. */
export const INLINE_RESULT_BYTES = 8_192;

/** What a wake-up may carry: the call as recorded (as Postgres returned it on recording). */
const inlineSchema = z.object({
  status: z.enum(TOOL_FINAL_STATUSES),
  result: z.unknown(),
  error: z.string().nullable(),
});

/**
 * Wakes whoever waits for the call. `recorded`: the row as the executor's record returned it; sent
 * along when small, so the waiting gateway has it without a read.
 */
export async function notifyToolDone(
  redis: Redis,
  toolCallId: string,
  recorded?: z.infer<typeof inlineSchema>,
): Promise<void> {
  const inline = recorded ? JSON.stringify(recorded) : "";
  await redis.publish(
    doneChannel(toolCallId),
    inline && Buffer.byteLength(inline) <= INLINE_RESULT_BYTES ? inline : "1",
  );
}

/** The finished call a wake-up carries, or null: read it. */
export function resultCarried(toolCallId: string, message: string): FinishedToolCall | null {
  if (message === "1") return null;
  try {
    const parsed = inlineSchema.safeParse(JSON.parse(message));
    return parsed.success ? { id: toolCallId, ...parsed.data } : null;
  } catch {
    return null; // not JSON: an older or foreign publisher; the row says it all
  }
}

/**
 * This process's waiting callers, by tool-call id. One PSUBSCRIBE for all of them, made once: a call
 * costs no subscribe or unsubscribe (two Redis round trips each, one before the call could start).
 * When the subscription was interrupted, every waiter looks at its row again (a wake-up may have
 * been missed).
 */
export class ResultWaiters {
  private waiting = new Map<string, Set<(message: string) => void>>();
  private subscribed: Promise<void>;
  private stopResume: () => void;

  constructor(redisUrl: string) {
    const hub = channelHub(redisUrl);
    this.subscribed = hub.listenPattern(`${DONE_PREFIX}*`, (channel, message) => {
      for (const wake of this.waiting.get(channel.slice(DONE_PREFIX.length)) ?? []) wake(message);
    });
    this.stopResume = hub.onResume(() => {
      for (const wakes of this.waiting.values()) for (const wake of wakes) wake("1");
    });
  }

  /** Resolves once wake-ups for the call reach `wake`; the returned function stops them. */
  async listen(toolCallId: string, wake: (message: string) => void): Promise<() => void> {
    await this.subscribed;
    let set = this.waiting.get(toolCallId);
    if (!set) this.waiting.set(toolCallId, (set = new Set()));
    set.add(wake);
    return () => {
      set.delete(wake);
      if (set.size === 0 && this.waiting.get(toolCallId) === set) this.waiting.delete(toolCallId);
    };
  }

  close(): void {
    this.stopResume();
    this.waiting.clear();
  }
}

export function resultWaiters(redisUrl: string): ResultWaiters {
  return singleton(`result-waiters:${redisUrl}`, () => new ResultWaiters(redisUrl));
}

export interface ToolCallListener {
  /** The finished call once woken (then read from Postgres), or null at the deadline or on abort. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<FinishedToolCall | null>;
  stop(): void;
}

/** The call as it stands (on the pool, lib/server/db.ts: this read is every round trip's last step). */
async function readCall(db: Db, toolCallId: string): Promise<FinishedToolCall | null> {
  const { rows } = await sqlPool(db).query<FinishedToolCall>({
    name: "tool-call-read",
    text: `
      SELECT id, status, result, error FROM tool_calls WHERE id = $1::uuid`,
    values: [toolCallId],
  });
  return rows[0] ?? null;
}

/**
 * Listens for a call's result. Listening before the call is even enqueued (callTool), no result can
 * come before, so waiting needs no read first: the one read is the result's.
 */
export async function listenForToolCall(
  db: Db,
  waiters: ResultWaiters,
  toolCallId: string,
): Promise<ToolCallListener> {
  let wake!: (message: string) => void;
  let woken = new Promise<string>((resolve) => (wake = resolve));
  const stop = await waiters.listen(toolCallId, (message) => wake(message));
  return {
    async wait(timeoutMs, signal) {
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      const gaveUp = new Promise<true>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
        onAbort = () => resolve(true);
        if (signal?.aborted) resolve(true);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
      try {
        for (;;) {
          const message = await Promise.race([woken, gaveUp]);
          if (message === true) return null;
          woken = new Promise<string>((resolve) => (wake = resolve));
          // Woken with the result, or to read it. Not final yet (woken after an interruption, not
          // by its result): wait on.
          const done = resultCarried(toolCallId, message) ?? (await readCall(db, toolCallId));
          if (done && isFinal(done.status)) return done;
        }
      } finally {
        clearTimeout(timer);
        if (onAbort) signal?.removeEventListener("abort", onAbort);
      }
    },
    stop,
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
    listener.stop();
  }
}
