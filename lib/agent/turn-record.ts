// Everything a turn writes, as it happens: Postgres rows (so a crash leaves a consistent, visible
// state) and the session's events (so every follower sees it live). Assistant text streams into
// its row at most once a second and completely at the end of each step.
import type { Redis } from "ioredis";
import type { Db } from "../server/db";
import type { Prisma } from "../generated/prisma/client";
import { appendEvent } from "../realtime/event-log";
import type { SessionEventBody, Usage } from "../realtime/events";
import type { StoredToolCall } from "./context";

const FLUSH_MS = 1000;

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

  /** Events are appended in order; a failing append (Redis down) never stops the turn. */
  emit(body: SessionEventBody): Promise<void> {
    const next = this.emits.then(() => appendEvent(this.redis, this.sessionId, body)).catch(() => undefined);
    this.emits = next;
    return next.then(() => undefined);
  }

  private queue<T>(write: () => Promise<T>): Promise<T> {
    const next = this.writes.then(write);
    this.writes = next.catch(() => undefined);
    return next;
  }

  startAssistant(): AssistantMessage {
    return new AssistantMessage(this);
  }

  async toolMessage(toolCallId: string, content: string): Promise<void> {
    await this.queue(() =>
      this.db.message.create({
        data: { sessionId: this.sessionId, turnId: this.turnId, role: "tool", content, toolCallId },
        select: { id: true },
      }),
    );
  }

  /** Ends the turn in Postgres (status, usage row) once, then tells followers. */
  async finish(
    status: "completed" | "failed" | "cancelled" | "interrupted",
    model: string,
    tenantId: string,
    userId: string | null,
    error?: string,
  ): Promise<void> {
    await this.writes;
    await this.db.$transaction([
      this.db.turn.update({
        where: { id: this.turnId },
        data: {
          status,
          error: error ?? null,
          model,
          steps: this.steps,
          promptTokens: this.usage.promptTokens,
          completionTokens: this.usage.completionTokens,
          finishedAt: new Date(),
        },
        select: { id: true },
      }),
      this.db.message.updateMany({
        where: { turnId: this.turnId, complete: false },
        data: { complete: true },
      }),
      this.db.usageRecord.create({
        data: {
          tenantId,
          userId,
          sessionId: this.sessionId,
          turnId: this.turnId,
          model,
          promptTokens: this.usage.promptTokens,
          completionTokens: this.usage.completionTokens,
        },
        select: { id: true },
      }),
    ]);
  }

  async flushed(): Promise<void> {
    await this.writes;
    await this.emits;
  }

  queueWrite<T>(write: () => Promise<T>): Promise<T> {
    return this.queue(write);
  }
}

/** One assistant message of one step: created on its first token, streamed, then completed. */
export class AssistantMessage {
  private id: string | undefined;
  private content = "";
  private lastFlush = 0;
  private created: Promise<string> | undefined;

  constructor(private readonly turn: TurnRecord) {}

  get text(): string {
    return this.content;
  }

  private ensure(): Promise<string> {
    this.created ??= this.turn.queueWrite(async () => {
      const row = await this.turn.db.message.create({
        data: {
          sessionId: this.turn.sessionId,
          turnId: this.turn.turnId,
          role: "assistant",
          content: "",
          complete: false,
        },
        select: { id: true },
      });
      this.id = row.id;
      return row.id;
    });
    return this.created;
  }

  async delta(text: string): Promise<void> {
    if (!text) return;
    const messageId = await this.ensure();
    if (this.content === "")
      void this.turn.emit({ type: "message.started", turnId: this.turn.turnId, messageId });
    const offset = this.content.length;
    this.content += text;
    void this.turn.emit({ type: "message.delta", turnId: this.turn.turnId, messageId, delta: text, offset });
    if (Date.now() - this.lastFlush >= FLUSH_MS) {
      this.lastFlush = Date.now();
      const snapshot = this.content;
      void this.turn
        .queueWrite(() =>
          this.turn.db.message.update({
            where: { id: messageId },
            data: { content: snapshot },
            select: { id: true },
          }),
        )
        .catch(() => undefined);
    }
  }

  /** Writes the final text and tool calls; returns the message id, or undefined for an empty step. */
  async complete(toolCalls: StoredToolCall[]): Promise<string | undefined> {
    if (!this.content && toolCalls.length === 0) return undefined;
    const messageId = await this.ensure();
    const content = this.content;
    await this.turn.queueWrite(() =>
      this.turn.db.message.update({
        where: { id: messageId },
        data: {
          content,
          complete: true,
          ...(toolCalls.length ? { toolCalls: toolCalls as unknown as Prisma.InputJsonArray } : {}),
        },
        select: { id: true },
      }),
    );
    if (content)
      void this.turn.emit({ type: "message.completed", turnId: this.turn.turnId, messageId, content });
    return messageId;
  }
}
