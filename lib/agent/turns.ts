// Starting, running, cancelling and recovering turns. One turn at a time per session, held by a lease
// in Redis that the running gateway renews; a turn whose lease is gone (its gateway died) is marked
// interrupted by any gateway's sweeper. Cancellation is announced on Redis, so it reaches whichever
// gateway runs the turn.
import type { Redis } from "ioredis";
import type { Principal } from "../auth/principal";
import { getConfig } from "../config";
import { costUsd } from "../budget/pricing";
import { AppError, toAppError } from "../errors";
import { db, type Db } from "../server/db";
import { redis } from "../server/redis";
import { logger } from "../server/logger";
import { singleton } from "../singleton";
import { channelHub } from "../realtime/channel-hub";
import { appendEvent } from "../realtime/event-log";
import { cancelToolCalls } from "../tool-calls/cancel";
import { dropHistory, readCachedHistory } from "./context";
import {
  discardFirstRequest,
  runTurn,
  sendFirstRequest,
  type StopReason,
  type TurnInput,
  type TurnOutcome,
} from "./run-turn";

/** What answers a turn: the chat model's loop (runTurn), or another (a realtime call's provider). */
export type TurnDriver = (input: TurnInput) => Promise<TurnOutcome>;
import { TurnRecord } from "./turn-record";
import { insertTurnRows } from "./turn-rows";
import { tenantConfig } from "../tenancy/tenant-config";
import { retitleKeptSession } from "../authz/check-cache";
import { admitMessage } from "../policy/admission";
import { turnMetrics } from "./metrics";
import { refuseDuringMaintenance } from "../maintenance/state";
import { maintenanceWatch } from "../maintenance/watch";
import { markDraining, refuseWhileDraining } from "../server/draining";
import { turnStartStage } from "./turn-start-timing";
import { ATTR, openSpan, withSpan, type TraceSpan } from "../tracing/spans";

const LEASE_MS = 15_000;
const RENEW_MS = 5_000;
const SWEEP_MS = 5_000;
const CANCEL_CHANNEL = "turn:cancel";
const DEFAULT_TITLE = "New chat";

export const turnLeaseKey = (sessionId: string) => `session:${sessionId}:active-turn`;
export const turnStartSeqKey = (turnId: string) => `turn:${turnId}:start-seq`;

/** Deletes KEYS[1] only if it still holds ARGV[1] (a lease or claim released by its holder). */
export const RELEASE_IF_HELD = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

/** A message admitted ahead of its turn (see TurnManager.admit). */
export interface Admitted {
  userId: string;
  content: string;
  /** performance.now() of the decision. */
  at: number;
}
/** An admission done ahead counts for this long (a voice call's pause is 300 ms). */
export const ADMITTED_FRESH_MS = 2_000;

/** Whether an admission done ahead stands for this message: same person, same words, recent. */
export function admittedAhead(
  ahead: Admitted | undefined,
  userId: string,
  content: string,
  now: number,
): boolean {
  return ahead?.userId === userId && ahead.content === content && now - ahead.at < ADMITTED_FRESH_MS;
}

export interface StartOptions {
  /** A spoken message: marked voice, with the call it came from (and its admission, if done ahead). */
  spoken?: { callId: string; admitted?: Admitted };
  /** Runs the turn instead of the chat model (a realtime call, whose provider answers). */
  driver?: TurnDriver;
  /** The turn's id, chosen by the caller (a schedule's run records it before the turn starts). */
  turnId?: string;
}

interface Active {
  sessionId: string;
  controller: AbortController;
  done: Promise<void>;
}

class TurnManager {
  readonly active = new Map<string, Active>();
  private sweeper: NodeJS.Timeout;
  private listening: Promise<unknown>;

  constructor(
    private readonly db: Db,
    private readonly redis: Redis,
    redisUrl: string,
  ) {
    this.listening = channelHub(redisUrl)
      .listen(CANCEL_CHANNEL, (turnId) =>
        this.active.get(turnId)?.controller.abort("cancelled" satisfies StopReason),
      )
      .catch(() => undefined);
    // The maintenance state's subscription, made in the same tick as the one above: a SUBSCRIBE sent
    // while the hub's connection is between connected and ready fails ioredis's ready check and
    // brings the process down, so none is sent later, at a moment of its own (the first turn).
    maintenanceWatch();
    this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), SWEEP_MS);
    this.sweeper.unref();
    void this.sweep().catch(() => undefined);
  }

  /**
   * Admission of a message (policy, size, token budget) without starting anything: a voice call
   * asks ahead, while the person pauses, and hands the result to `start`, which then skips it.
   */
  admit(principal: Principal, content: string): Promise<Admitted> {
    return withSpan("turn.admit", { attributes: { [ATTR.tenantId]: principal.tenantId } }, async () => {
      const { settings } = getConfig();
      const conf = await tenantConfig(this.db, this.redis, principal.tenantId);
      turnStartStage("tenant");
      // The tighter of the tenant's limit and the deployment-wide one.
      await admitMessage({
        db: this.db,
        redis: this.redis,
        principal,
        conf,
        maxMessageBytes: Math.min(conf?.limits.maxMessageBytes ?? Infinity, settings.agent.maxMessageBytes),
        model: settings.models.chat.name,
        content,
      });
      return { userId: principal.userId, content, at: performance.now() };
    });
  }

  /** `session` is the caller's authorized view of it (its title decides whether to name it). */
  start(
    principal: Principal,
    session: { id: string; title: string },
    content: string,
    { spoken, driver, turnId = crypto.randomUUID() }: StartOptions = {},
  ): Promise<{ messageId: string; turnId: string; seq: number }> {
    // The turn's span, a child of what received the message: from admission to the turn's end (it
    // outlives the request that started it). Its model calls and tool calls are its children.
    const span = openSpan("turn", {
      attributes: {
        [ATTR.turnId]: turnId,
        [ATTR.sessionId]: session.id,
        [ATTR.tenantId]: principal.tenantId,
        ...(spoken ? { [ATTR.voiceCallId]: spoken.callId } : {}),
      },
    });
    return span
      .run(() => this.begin(span, principal, session, content, { spoken, driver, turnId }))
      .catch((err: unknown) => {
        // Refused (admission, a turn already running) or failed to start: the span says which.
        const e = toAppError(err);
        span.set({ [ATTR.errorCode]: e.code });
        span.end(e.status >= 500 ? err : undefined);
        throw err;
      });
  }

  private async begin(
    span: TraceSpan,
    principal: Principal,
    session: { id: string; title: string },
    content: string,
    { spoken, driver, turnId }: StartOptions & { turnId: string },
  ): Promise<{ messageId: string; turnId: string; seq: number }> {
    const sessionId = session.id;
    refuseWhileDraining("turn");
    await refuseDuringMaintenance(this.redis);
    await this.listening;
    // The lease is asked for alongside admission (one round trip for both, not one after the
    // other); admission's refusal still comes first, and gives back a lease taken meanwhile.
    const leasing = this.redis.set(turnLeaseKey(sessionId), turnId, "PX", LEASE_MS, "NX");
    // Its failure (Redis down) is thrown where it is awaited below, after admission's.
    void leasing.catch(() => undefined);
    try {
      if (!admittedAhead(spoken?.admitted, principal.userId, content, performance.now()))
        await this.admit(principal, content);
    } catch (err) {
      if ((await leasing.catch(() => null)) === "OK")
        await this.redis.eval(RELEASE_IF_HELD, 1, turnLeaseKey(sessionId), turnId).catch(() => undefined);
      throw err;
    }
    const leased = await leasing;
    turnStartStage("lease");
    if (leased !== "OK")
      throw new AppError(
        "conflict",
        "A turn is already running in this session; wait for it to finish or stop it.",
      );
    const controller = new AbortController();
    // The model's history, read from its cache while the turn's rows are written: the cache predates
    // this message either way (the session's last turn saved it before giving up its lease).
    let cachedHistory = driver ? undefined : readCachedHistory(this.redis, sessionId);
    // With it, the model is asked now, while the rows are written and the start announced: its time
    // to answer overlaps ours (run-turn.ts, sendFirstRequest). Stopped with the turn, or given up if
    // the turn does not start after all. Not for a session still called "New chat": it most likely
    // has no message yet, and a cache entry left behind must not reach the provider.
    const firstStop = new AbortController();
    controller.signal.addEventListener("abort", () => firstStop.abort(controller.signal.reason), {
      once: true,
    });
    let first =
      cachedHistory && session.title !== DEFAULT_TITLE
        ? sendFirstRequest(this.redis, content, cachedHistory, firstStop.signal)
        : undefined;
    const giveUpFirst = () => {
      if (first) discardFirstRequest(first, firstStop);
      first = undefined;
    };
    let messageId: string;
    let title: string | undefined;
    try {
      // A session still called "New chat" is named after its first message.
      const rows = await insertTurnRows(this.db, {
        turnId,
        sessionId,
        tenantId: principal.tenantId,
        userId: principal.userId,
        content,
        ...(spoken ? { voiceCallId: spoken.callId } : {}),
        title: titleFrom(content),
        defaultTitle: DEFAULT_TITLE,
      });
      messageId = rows.messageId;
      if (rows.renamed) {
        title = titleFrom(content);
        // The next message's authorized view of the session (kept in the process) has its new name.
        retitleKeptSession(sessionId, title);
      }
      // The session's first message (a new chat): there is no history to read, from the cache or
      // from Postgres (a request sent from a cache that says otherwise is given up).
      if (rows.first && cachedHistory) {
        cachedHistory = Promise.resolve([]);
        giveUpFirst();
      }
      turnStartStage("record");
    } catch (err) {
      giveUpFirst();
      await this.redis.eval(RELEASE_IF_HELD, 1, turnLeaseKey(sessionId), turnId).catch(() => undefined);
      throw err;
    }
    const record = new TurnRecord(this.db, this.redis, sessionId, turnId);
    const started = await appendEvent(this.redis, sessionId, {
      type: "turn.started",
      turnId,
      messageId,
      content,
      ...(spoken ? { source: "voice" as const } : {}),
    }).catch((err: unknown) => {
      giveUpFirst();
      throw err;
    });
    // Where a page that loads the session mid-turn starts its replay. The model is not kept waiting
    // for it; the message's answer is (below), so whatever the sender asks next finds it.
    const seqKept = this.redis.set(turnStartSeqKey(turnId), started.seq, "EX", 24 * 3600);
    turnStartStage("event");
    if (title) void record.emit({ type: "session.updated", title });
    const timer = setTimeout(
      () => controller.abort("deadline" satisfies StopReason),
      getConfig().settings.agent.turnTimeoutMs,
    );
    const renew = setInterval(() => {
      void this.redis.eval(RENEW, 1, turnLeaseKey(sessionId), turnId, LEASE_MS).catch(() => undefined);
    }, RENEW_MS);
    // The lease is released before the turn's last event goes out: a client that sends its next
    // message the moment it sees the end must not be told a turn is still running.
    const release = async () => {
      clearTimeout(timer);
      clearInterval(renew);
      this.active.delete(turnId);
      await this.redis.eval(RELEASE_IF_HELD, 1, turnLeaseKey(sessionId), turnId).catch(() => undefined);
    };
    const done = this.run(
      record,
      principal,
      {
        content,
        signal: controller.signal,
        ...(cachedHistory ? { cachedHistory } : {}),
        ...(first ? { first } : {}),
      },
      release,
      driver,
      span,
    ).finally(release);
    this.active.set(turnId, { sessionId, controller, done });
    // The turn runs either way: a page that loads the session before it ends then trusts the
    // turn's stored text (saved about once a second) and follows from the session's current end.
    await seqKept.catch((err: unknown) =>
      logger().warn({ err, turnId, sessionId }, "the turn's first event number was not kept"),
    );
    return { messageId, turnId, seq: started.seq };
  }

  private async run(
    record: TurnRecord,
    principal: Principal,
    input: Pick<TurnInput, "content" | "signal" | "cachedHistory" | "first">,
    release: () => Promise<void>,
    driver: TurnDriver = runTurn,
    span: TraceSpan,
  ): Promise<void> {
    const log = logger().child({ turnId: record.turnId, sessionId: record.sessionId });
    const startedAt = performance.now();
    try {
      const outcome = await driver({
        ...input,
        record,
        tenantId: principal.tenantId,
        userId: principal.userId,
        role: principal.role,
      });
      await record.finish(
        outcome.status,
        outcome.model,
        principal.tenantId,
        principal.userId,
        outcome.reason,
        outcome.costUsd ?? costUsd(getConfig().settings.models.chat.provider, outcome.model, record.usage),
      );
      await release();
      turnMetrics().ended(outcome.status, (performance.now() - startedAt) / 1000);
      const { turnId } = record;
      if (outcome.status === "completed")
        await record.emit({ type: "turn.finished", turnId, usage: record.usage, steps: record.steps });
      else if (outcome.status === "cancelled")
        await record.emit({ type: "turn.cancelled", turnId, usage: record.usage });
      else if (outcome.status === "interrupted")
        await record.emit({ type: "turn.interrupted", turnId, reason: outcome.reason ?? "interrupted" });
      else
        await record.emit({
          type: "turn.failed",
          turnId,
          reason: outcome.reason ?? "The turn failed.",
          code: outcome.code ?? "failed",
          usage: record.usage,
        });
      log.info(
        { status: outcome.status, code: outcome.code, steps: record.steps, usage: record.usage },
        "turn ended",
      );
      span.set({
        [ATTR.turnStatus]: outcome.status,
        ...(outcome.code ? { [ATTR.errorCode]: outcome.code } : {}),
        [ATTR.genAiInputTokens]: record.usage.promptTokens,
        [ATTR.genAiOutputTokens]: record.usage.completionTokens,
      });
      span.end(outcome.status === "failed" ? (outcome.reason ?? "the turn failed") : undefined);
    } catch (err) {
      span.end(err);
      log.error({ err }, "turn could not be recorded");
      await this.interrupt(record.turnId, record.sessionId, "The turn could not be recorded.").catch(
        () => undefined,
      );
    }
  }

  /** Asks whichever gateway runs the session's turn to stop it; 404/409 when there is none. */
  async cancel(sessionId: string, turnId?: string): Promise<{ turnId: string }> {
    const running = await this.db.turn.findFirst({
      where: { sessionId, status: "running", ...(turnId ? { id: turnId } : {}) },
      select: { id: true },
      orderBy: { startedAt: "desc" },
    });
    if (!running) {
      if (turnId && (await this.db.turn.count({ where: { id: turnId, sessionId } })) > 0)
        throw new AppError("conflict", "This turn has already ended.");
      throw new AppError(
        turnId ? "not_found" : "conflict",
        turnId ? "No such turn." : "No turn is running in this session.",
      );
    }
    await this.redis.publish(CANCEL_CHANNEL, running.id);
    return { turnId: running.id };
  }

  /** Marks a turn interrupted once (the first gateway to get there wins) and tells followers. */
  async interrupt(turnId: string, sessionId: string, reason: string): Promise<boolean> {
    const changed = await this.db.turn.updateMany({
      where: { id: turnId, status: "running" },
      data: { status: "interrupted", error: reason, finishedAt: new Date() },
    });
    if (changed.count === 0) return false;
    await this.db.message.updateMany({ where: { turnId, complete: false }, data: { complete: true } });
    const open = await this.db.toolCall.findMany({
      where: { turnId, status: { in: ["pending", "queued", "running"] } },
      select: { id: true },
    });
    await cancelToolCalls(
      this.db,
      this.redis,
      open.map((c) => c.id),
      "the turn was interrupted",
    );
    await dropHistory(this.redis, sessionId);
    await appendEvent(this.redis, sessionId, { type: "turn.interrupted", turnId, reason });
    return true;
  }

  /** Running turns whose lease is gone belong to a gateway that died: mark them interrupted. */
  async sweep(): Promise<number> {
    const stale = await this.db.turn.findMany({
      where: { status: "running", startedAt: { lt: new Date(Date.now() - RENEW_MS) } },
      select: { id: true, sessionId: true },
      take: 100,
    });
    let n = 0;
    for (const t of stale) {
      if (this.active.has(t.id)) continue;
      const holder = await this.redis.get(turnLeaseKey(t.sessionId));
      if (holder === t.id) continue;
      if (await this.interrupt(t.id, t.sessionId, "The gateway stopped while this turn ran.")) n++;
    }
    return n;
  }

  /**
   * Graceful shutdown: no new turns from now on; the running ones get up to `waitMs` to finish, and
   * those still running then are stopped and recorded as interrupted. Says how many of each.
   */
  async shutdown({ waitMs = 0 }: { waitMs?: number } = {}): Promise<{ finished: number; stopped: number }> {
    markDraining();
    clearInterval(this.sweeper);
    const running = [...this.active.values()];
    if (waitMs > 0 && running.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(running.map((a) => a.done)),
        new Promise((resolve) => (timer = setTimeout(resolve, waitMs))),
      ]);
      clearTimeout(timer);
    }
    const left = [...this.active.values()];
    for (const a of left) a.controller.abort("shutdown" satisfies StopReason);
    await Promise.allSettled(left.map((a) => a.done));
    return { finished: running.length - left.length, stopped: left.length };
  }
}

function titleFrom(content: string): string {
  const line = content
    .replace(/\[\[[^\]]*\]\]/g, "")
    .replace(/\s+/g, " ")
    .trim();
  if (!line) return DEFAULT_TITLE;
  return line.length > 60 ? `${line.slice(0, 57)}…` : line;
}

export { DEFAULT_TITLE };

export function turns(): TurnManager {
  return singleton("turn-manager", () => new TurnManager(db(), redis(), getConfig().settings.redis.url));
}
