// Transactional outbox relay: publishes pending outbox rows to the bus and marks them sent. Rows are
// claimed with FOR UPDATE SKIP LOCKED, so several gateway processes relay side by side without
// sending a row twice; while the broker is down rows stay pending and are retried with backoff.
import type { Logger } from "pino";
import type { Db } from "../server/db";
import type { Bus, Channel } from "./types";
import { parseCarrier } from "../tracing/propagation";
import { ATTR, openSpan, tracingEnabled, type TraceSpan } from "../tracing/spans";

const BATCH = 100;
const IDLE_MS = 1_000;
const MAX_BACKOFF_MS = 15_000;

interface OutboxRow {
  id: bigint;
  topic: string;
  key: string;
  payload: unknown;
  attempts: number;
  tool_call_id: string | null;
  trace_context: unknown;
}

/** Consecutive rows of one channel, in order: each run goes out in one round trip. */
export function runsByTopic<R extends { topic: string }>(rows: R[]): R[][] {
  const runs: R[][] = [];
  for (const row of rows) {
    const last = runs.at(-1);
    if (last && last[0]!.topic === row.topic) last.push(row);
    else runs.push([row]);
  }
  return runs;
}

/** How long rows wait after a failed publish: doubling from 250 ms, at most MAX_BACKOFF_MS. */
export function retryDelayMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(attempts, 6));
}

export class OutboxRelay {
  private running = false;
  private wake: (() => void) | undefined;
  /** A kick that arrived while a pass was running: run another pass at once instead of idling. */
  private kicked = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly bus: Bus,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** New rows were written: relay now rather than at the next tick. */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.kick();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let sent = 0;
      this.kicked = false;
      try {
        sent = await this.drainOnce();
      } catch (err) {
        this.log.warn({ err }, "outbox relay pass failed");
      }
      if (sent === 0 && !this.kicked && this.running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, IDLE_MS);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  /** One pass: returns how many rows were sent. */
  async drainOnce(): Promise<number> {
    const sentCalls: string[] = [];
    const sent = await this.db.$transaction(
      async (tx) => {
        const rows = await tx.$queryRaw<OutboxRow[]>`
          SELECT id, topic, key, payload, attempts, tool_call_id, trace_context FROM outbox
          WHERE status = 'pending' AND available_at <= now()
          ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`;
        // Consecutive rows of one channel go out in one round trip (order kept within the run).
        let sent = 0;
        for (const run of runsByTopic(rows)) {
          const channel = run[0]!.topic as Channel;
          // Each row's publish continues the trace that wrote it, and the message carries this span on.
          const spans: TraceSpan[] | undefined = !tracingEnabled()
            ? undefined
            : run.map((r) =>
                openSpan("outbox.publish", {
                  kind: "producer",
                  parent: parseCarrier(r.trace_context) ?? null,
                  attributes: {
                    [ATTR.messagingSystem]: this.bus.transport,
                    [ATTR.messagingDestination]: channel,
                    [ATTR.messagingOperation]: "send",
                    [ATTR.messagingBatchCount]: run.length,
                    ...(r.tool_call_id ? { [ATTR.toolCallId]: r.tool_call_id } : {}),
                  },
                }),
              );
          try {
            await this.bus.publishMany(
              channel,
              run.map((r, i) => ({ key: r.key, message: r.payload as never, trace: spans?.[i]?.carrier() })),
            );
            for (const span of spans ?? []) span.end();
          } catch (err) {
            for (const span of spans ?? []) span.end(err);
            const unsentRows = rows.slice(sent);
            const delay = retryDelayMs(Math.min(...unsentRows.map((r) => r.attempts)));
            const error = String((err as Error).message).slice(0, 500);
            for (const unsent of unsentRows) {
              await tx.$executeRaw`
                UPDATE outbox SET attempts = attempts + 1, last_error = ${error},
                  available_at = now() + (${delay} * interval '1 millisecond')
                WHERE id = ${unsent.id}`;
            }
            this.log.warn(
              { pending: unsentRows.length, err: error, retryInMs: delay },
              "bus publish failed; rows wait in the outbox",
            );
            return sent; // the broker is unreachable: keep order, try again later
          }
          for (const r of run) {
            await tx.$executeRaw`UPDATE outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1 WHERE id = ${r.id}`;
            if (r.tool_call_id) sentCalls.push(r.tool_call_id);
          }
          sent += run.length;
        }
        return sent;
      },
      { timeout: 60_000, maxWait: 5_000 },
    );
    // Marked after the commit, never under the relay's locks: an executor may already be claiming
    // the call, and must not wait for this transaction (only pending calls become queued).
    if (sentCalls.length) {
      await this.db.toolCall.updateMany({
        where: { id: { in: sentCalls }, status: "pending" },
        data: { status: "queued" },
      });
    }
    return sent;
  }
}
