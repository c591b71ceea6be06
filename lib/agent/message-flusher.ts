// Streaming text reaches Postgres in one statement per second per process, however many answers
// stream at once: each streaming message leaves its latest text here and a timer writes them all
// (insert on first sight, update after). A message already completed is never overwritten.
import { Prisma } from "../generated/prisma/client";
import type { Db } from "../server/db";
import { logger } from "../server/logger";
import { singleton } from "../singleton";

const FLUSH_MS = 1000;

export interface PendingText {
  id: string;
  sessionId: string;
  turnId: string;
  content: string;
}

class MessageFlusher {
  private pending = new Map<string, PendingText>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly db: Db) {}

  offer(text: PendingText): void {
    this.pending.set(text.id, text);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.running = this.running.then(() => this.flush());
    }, FLUSH_MS);
  }

  /** The message is being completed by its own write: drop any stale text still waiting. */
  forget(id: string): void {
    this.pending.delete(id);
  }

  async flush(): Promise<void> {
    // In id order, as the turn's end locks them (turn-rows.ts): two statements that lock the same
    // rows in opposite orders can deadlock.
    const batch = [...this.pending.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.pending.clear();
    if (batch.length === 0) return;
    const rows = batch.map(
      (m) =>
        Prisma.sql`(${m.id}::uuid, ${m.sessionId}::uuid, ${m.turnId}::uuid, 'assistant'::"MessageRole", ${m.content}, false)`,
    );
    await this.db.$executeRaw`INSERT INTO messages (id, session_id, turn_id, role, content, complete)
        VALUES ${Prisma.join(rows)}
        ON CONFLICT (id) DO UPDATE SET content = EXCLUDED.content WHERE messages.complete = false`.catch(
      (err: unknown) => logger().warn({ err, messages: batch.length }, "streaming text not saved"),
    );
  }
}

export function messageFlusher(db: Db): MessageFlusher {
  return singleton("message-flusher", () => new MessageFlusher(db));
}
