// Transactional outbox relay: publishes pending outbox rows to the bus and marks them sent. Rows are
// claimed with FOR UPDATE SKIP LOCKED, so several gateway processes relay side by side without
// sending a row twice; while the broker is down rows stay pending and are retried with backoff.
import type { Logger } from "pino";
import type { Db } from "../server/db";
import type { Bus, Channel } from "./types";

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
          SELECT id, topic, key, payload, attempts, tool_call_id FROM outbox
          WHERE status = 'pending' AND available_at <= now()
          ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`;
        let sent = 0;
        for (const row of rows) {
          try {
            await this.bus.publish(row.topic as Channel, row.key, row.payload as never);
          } catch (err) {
            const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(row.attempts, 6));
            const error = String((err as Error).message).slice(0, 500);
            for (const unsent of rows.slice(rows.indexOf(row))) {
              await tx.$executeRaw`
                UPDATE outbox SET attempts = attempts + 1, last_error = ${error},
                  available_at = now() + (${delay} * interval '1 millisecond')
                WHERE id = ${unsent.id}`;
            }
            this.log.warn(
              { outboxId: String(row.id), err: (err as Error).message, retryInMs: delay },
              "bus publish failed; rows wait in the outbox",
            );
            return sent; // the broker is unreachable: keep order, try again later
          }
          await tx.$executeRaw`UPDATE outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1 WHERE id = ${row.id}`;
          if (row.tool_call_id) sentCalls.push(row.tool_call_id);
          sent++;
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
