// Transactional outbox relay: publishes pending outbox rows to the bus and marks them sent. Rows are
// claimed with FOR UPDATE SKIP LOCKED, so several gateway processes relay side by side without
// sending a row twice; while the broker is down rows stay pending and are retried with backoff.
import type { Logger } from "pino";
import { sqlPool, type Db } from "../server/db";
import type { Bus, Channel } from "./types";
import { parseCarrier } from "../tracing/propagation";
import { ATTR, openSpan, tracingEnabled, type TraceSpan } from "../tracing/spans";

const BATCH = 100;
const IDLE_MS = 1_000;
const MAX_BACKOFF_MS = 15_000;

interface OutboxRow {
  /** int8, as pg reads it. */
  id: string;
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

/** An outbox id (int8, as pg reads it) written into SQL: digits only, or the pass fails. */
export function bigintLiteral(id: string): string {
  if (!/^\d{1,19}$/.test(id)) throw new Error(`not an outbox id: ${JSON.stringify(id)}`);
  return id;
}

/** A tool-call id written into SQL: a UUID only, or the pass fails. */
export function uuidLiteral(id: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id))
    throw new Error(`not a tool-call id: ${JSON.stringify(id)}`);
  return `'${id}'::uuid`;
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

  /**
   * One pass: returns how many rows were sent. Straight on the pool (lib/server/db.ts), in one
   * transaction as before: the rows' locks are held until they are marked sent (or their retry
   * is recorded), so relays never send a row twice. Three round trips whatever the batch: BEGIN and
   * the claim, the publish, the marks and COMMIT.
   */
  async drainOnce(): Promise<number> {
    const sentCalls: string[] = [];
    const sentIds: string[] = [];
    let sent = 0;
    const client = await sqlPool(this.db).connect();
    let broken: Error | undefined;
    try {
      // BEGIN and the claim in one round trip (one simple-protocol query of two statements).
      const [, claimed] = (await client.query(`
        BEGIN;
        SELECT id, topic, key, payload, attempts, tool_call_id, trace_context FROM outbox
        WHERE status = 'pending' AND available_at <= now()
        ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`)) as unknown as [unknown, { rows: OutboxRow[] }];
      const rows = claimed.rows;
      // Consecutive rows of one channel go out in one round trip (order kept within the run).
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
          await client.query({
            name: "outbox-retry-later",
            text: `UPDATE outbox SET attempts = attempts + 1, last_error = $1,
                     available_at = now() + ($2 * interval '1 millisecond')
                   WHERE id = ANY($3::bigint[])`,
            values: [error, delay, unsentRows.map((r) => r.id)],
          });
          this.log.warn(
            { pending: unsentRows.length, err: error, retryInMs: delay },
            "bus publish failed; rows wait in the outbox",
          );
          break; // the broker is unreachable: keep order, try again later
        }
        for (const r of run) {
          sentIds.push(r.id);
          if (r.tool_call_id) sentCalls.push(r.tool_call_id);
        }
        sent += run.length;
      }
      // The rows marked sent, their calls queued (only calls still pending: an executor may have
      // claimed one already) and the commit, in one round trip: a simple query of three statements,
      // so the ids are written in (checked to be ids first). The calls' row locks last that one
      // round trip: an executor claiming one meanwhile waits no longer than that.
      await client.query(
        [
          ...(sentIds.length
            ? [
                `UPDATE outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1
                 WHERE id IN (${sentIds.map(bigintLiteral).join(",")})`,
              ]
            : []),
          ...(sentCalls.length
            ? [
                `UPDATE tool_calls SET status = 'queued'
                 WHERE id IN (${sentCalls.map(uuidLiteral).join(",")}) AND status = 'pending'`,
              ]
            : []),
          "COMMIT",
        ].join(";\n"),
      );
    } catch (err) {
      await client.query("ROLLBACK").catch((e: unknown) => (broken = e as Error)); // then it is gone
      throw err;
    } finally {
      client.release(broken); // a broken connection is closed, not pooled
    }
    return sent;
  }
}
