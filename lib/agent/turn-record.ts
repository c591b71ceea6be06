// Everything a turn writes, as it happens: Postgres rows (so a crash leaves a consistent, visible
// state) and the session's events (so every follower sees it live). Assistant text streams into
// its row at most once a second (batched across answers) and completely at the end of each step.
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { addTokens } from "../budget/usage";
import { sqlPool, type Db } from "../server/db";
import { appendEvent } from "../realtime/event-log";
import type { SessionEventBody, Usage } from "../realtime/events";
import type { StoredToolCall } from "./context";
import { messageFlusher } from "./message-flusher";
import { completeAssistantMessage, finishTurnRows } from "./turn-rows";

export class TurnRecord {
  private writes: Promise<unknown> = Promise.resolve();
  private emits: Promise<unknown> = Promise.resolve();
  readonly usage: Usage = { promptTokens: 0, completionTokens: 0 };
  steps = 0;

  constructor(
    readonly db: Db,
    readonly redis: Redis,
    readonly sessionId: string,
    readonly turnId: string,
  ) {}

  /**
   * Events are appended in order without waiting for one another: commands on one Redis connection
   * run in the order sent, so the sequence numbers follow the calls. A failing append (Redis down)
   * never stops the turn.
   */
  emit(body: SessionEventBody): Promise<void> {
    const sent = appendEvent(this.redis, this.sessionId, body).then(
      () => undefined,
      () => undefined,
    );
    this.emits = sent;
    return sent;
  }

  /** Runs Postgres writes one after another, in the order the turn made them. */
  queueWrite<T>(write: () => Promise<T>): Promise<T> {
    const next = this.writes.then(write);
    this.writes = next.catch(() => undefined);
    return next;
  }

  /** Settles once every write queued so far has (never rejects: each write's caller sees its error). */
  queuedSoFar(): Promise<unknown> {
    return this.writes;
  }

  startAssistant(): AssistantMessage {
    return new AssistantMessage(this);
  }

  async toolMessage(toolCallId: string, content: string): Promise<void> {
    await this.queueWrite(() =>
      sqlPool(this.db).query({
        name: "turn-tool-message",
        text: `INSERT INTO messages (id, session_id, turn_id, role, content, tool_call_id, created_at)
               VALUES ($1::uuid, $2::uuid, $3::uuid, 'tool', $4, $5::uuid, now() AT TIME ZONE 'UTC')`,
        values: [randomUUID(), this.sessionId, this.turnId, content, toolCallId],
      }),
    );
  }

  /** Ends the turn in Postgres (status, usage row) once, in one statement, then tells followers. */
  async finish(
    status: "completed" | "failed" | "cancelled" | "interrupted",
    model: string,
    tenantId: string,
    userId: string | null,
    error?: string,
    costUsd = 0,
  ): Promise<void> {
    await this.writes;
    await finishTurnRows(this.db, {
      turnId: this.turnId,
      sessionId: this.sessionId,
      tenantId,
      userId,
      status,
      error: error ?? null,
      model,
      steps: this.steps,
      usage: this.usage,
      costUsd,
    });
    await addTokens(this.redis, tenantId, this.usage.promptTokens + this.usage.completionTokens).catch(
      () => undefined,
    );
  }

  async flushed(): Promise<void> {
    await this.writes;
    await this.emits;
  }
}

/** One assistant message of one step: created on its first token, streamed, then completed. */
export class AssistantMessage {
  /** Named up front, so tokens go out before the row is written. */
  private readonly id = randomUUID();
  private content = "";
  private completed = false;
  /**
   * The turn's writes queued before this message's first token, and whether they are done. Until
   * then its streaming text is not offered to the flusher, whose insert would otherwise go ahead of them: a tool's
   * message is written while the answer after it already streams (run-turn.ts, ToolOutput), and the
   * history's order is the rows' order.
   */
  private behindWrites: Promise<unknown> | undefined;
  private caughtUp = false;

  constructor(private readonly turn: TurnRecord) {}

  get text(): string {
    return this.content;
  }

  delta(text: string): void {
    if (!text) return;
    const { turnId } = this.turn;
    if (this.content === "") void this.turn.emit({ type: "message.started", turnId, messageId: this.id });
    const offset = this.content.length;
    this.content += text;
    void this.turn.emit({ type: "message.delta", turnId, messageId: this.id, delta: text, offset });
    if (this.caughtUp) this.offer();
    else
      this.behindWrites ??= this.turn.queuedSoFar().then(() => {
        this.caughtUp = true;
        this.offer();
      });
  }

  /** Saved within a second, batched with every other streaming answer (never on the token path). */
  private offer(): void {
    if (this.completed) return;
    const { turnId, sessionId } = this.turn;
    messageFlusher(this.turn.db).offer({ id: this.id, sessionId, turnId, content: this.content });
  }

  /** Writes the final text and tool calls; returns the message id, or undefined for an empty step. */
  async complete(toolCalls: StoredToolCall[]): Promise<string | undefined> {
    this.completed = true;
    messageFlusher(this.turn.db).forget(this.id);
    if (!this.content && toolCalls.length === 0) return undefined;
    const content = this.content;
    // Inserted, or completed over the text the flusher saved while it streamed; tool calls only
    // when there are. Shared with the messages completed at the same moment (turn-rows.ts).
    await this.turn.queueWrite(() =>
      completeAssistantMessage(this.turn.db, {
        id: this.id,
        sessionId: this.turn.sessionId,
        turnId: this.turn.turnId,
        content,
        toolCalls: toolCalls.length ? JSON.stringify(toolCalls) : null,
      }),
    );
    if (content)
      void this.turn.emit({
        type: "message.completed",
        turnId: this.turn.turnId,
        messageId: this.id,
        content,
      });
    return this.id;
  }
}
