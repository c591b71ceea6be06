// A realtime call as the gateway keeps it: the audio flows between the page and the provider, and
// the gateway holds the call's sideband (its own WebSocket, its own key). From the sideband's events
// it makes what a cascaded call makes: captions and states for the page, a turn per answer with the
// person's words and the agent's as messages (marked voice), tools run through the bus and the
// executor (the provider only asks; the gateway decides and answers), usage, and an interrupted
// answer cut to what was heard (the provider's `audio_end_ms`).
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type WebSocket from "ws";
import type { Principal } from "../../auth/principal";
import { getConfig } from "../../config";
import { db } from "../../server/db";
import { turns, type TurnDriver } from "../../agent/turns";
import { callToolFor, stopOutcome, type TurnInput, type TurnOutcome } from "../../agent/run-turn";
import type { AssistantMessage } from "../../agent/turn-record";
import type { CallEvents, CallState } from "../call";
import { keepHeardText } from "../interrupted-answer";
import { heardText, type SpokenPiece } from "../truncation";
import { voiceMetrics } from "../metrics";
import { realtimeCostUsd, type RealtimeTokens } from "../../budget/pricing";
import { hangupRealtimeCall, openSideband } from "./provider";
import { guardedPart, turnDetection, type InputMode, type RealtimeSession } from "./session";
import { actorOf, writeAudit } from "../../audit/log";

/** The sideband may be reopened this long after it dropped; then the call ends (no tools without it). */
const SIDEBAND_RECONNECT_MS = 5_000;
/** Speaking pace for placing transcript pieces in the audio (about 16 characters a second). */
const MS_PER_CHARACTER = 62;
/** Provider errors that only say there was nothing to cancel or clear. */
const HARMLESS_ERRORS = new Set(["response_cancel_not_active", "input_audio_buffer_commit_empty"]);

/** A string field of an event, or the fallback. */
const str = (v: unknown, fallback = ""): string => (typeof v === "string" ? v : fallback);

interface ServerEvent {
  type: string;
  [key: string]: unknown;
}

/** The turn answering the person's last words, as the provider responds. */
interface Answering {
  input: TurnInput;
  resolve: (outcome: TurnOutcome) => void;
  assistant?: AssistantMessage;
  /** The assistant message's id once completed (for truncation). */
  messageId?: string;
  /** Provider item id of the spoken answer. */
  itemId?: string;
  text: string;
  pieces: SpokenPiece[];
  audioStartedAt?: number;
  /** Provider function-call ids whose output is still to come. */
  toolsPending: number;
  /** The cut to what was heard, being written (the turn ends after it). */
  truncating?: Promise<void>;
  /** Tokens of every response of this turn, by kind (priced apart). */
  tokens: RealtimeTokens;
  /** The rows of its function calls being written (never reject): the turn ends after them. */
  recording: Promise<void>[];
  /** A function call or its output could not be recorded: the turn ends failed, whatever was said. */
  notRecorded?: boolean;
}

interface RealtimeUsage {
  input_tokens?: number;
  output_tokens?: number;
  input_token_details?: { text_tokens?: number; audio_tokens?: number };
  output_token_details?: { text_tokens?: number; audio_tokens?: number };
}

/** Adds a response's usage to the turn's; without details every token counts as text. */
function addTokens(t: RealtimeTokens, u: RealtimeUsage | undefined): void {
  if (!u) return;
  const audioIn = u.input_token_details?.audio_tokens ?? 0;
  const audioOut = u.output_token_details?.audio_tokens ?? 0;
  t.audioIn += audioIn;
  t.audioOut += audioOut;
  t.textIn += u.input_token_details?.text_tokens ?? Math.max(0, (u.input_tokens ?? 0) - audioIn);
  t.textOut += u.output_token_details?.text_tokens ?? Math.max(0, (u.output_tokens ?? 0) - audioOut);
}

export class RealtimeCall {
  private ws: WebSocket | undefined;
  private state: CallState | undefined;
  private closed = false;
  /** Counted in somaagent_realtime_calls_active (from a working start to close). */
  private counted = false;
  private answering: Answering | undefined;
  /** Answer events that came before the turn had started (the transcript comes after them). */
  private early: ServerEvent[] = [];
  private userText = new Map<string, string>();
  private input: InputMode;
  /** `session.update`s this gateway sent whose `session.updated` has not come back yet. */
  private ownUpdates = 0;
  private sessionSent = false;

  constructor(
    private readonly opts: {
      callId: string;
      providerCallId: string;
      principal: Principal;
      session: { id: string; title: string };
      events: CallEvents;
      log: Logger;
      input: InputMode;
      /** The session the gateway set up: a change of its instructions or tools by anyone else is reverted. */
      realtimeSession: RealtimeSession;
      /** Send the whole session once the sideband opens (a direct start: its tools come only now). */
      sendSession?: boolean;
      /** The sideband is gone for good: the call must end. */
      onLost: () => void;
    },
  ) {
    this.input = opts.input;
  }

  get hearing(): boolean {
    return this.state === "hearing";
  }

  async start(): Promise<void> {
    await this.connect();
    if (this.closed) return; // hung up while the sideband opened (connect closed it)
    this.counted = true;
    voiceMetrics().realtimeStarted();
    this.setState("listening");
  }

  private async connect(): Promise<void> {
    const ws = await openSideband(this.opts.providerCallId);
    if (this.closed) {
      ws.close();
      return;
    }
    this.ws = ws;
    ws.on("message", (data) => {
      let e: ServerEvent;
      try {
        const bytes = Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.isBuffer(data)
            ? data
            : Buffer.from(new Uint8Array(data));
        const text = bytes.toString("utf8");
        e = JSON.parse(text) as ServerEvent;
      } catch {
        return;
      }
      try {
        this.onEvent(e);
      } catch (err) {
        this.opts.log.error({ err, type: e.type }, "realtime event not handled");
      }
    });
    ws.on("close", () => {
      if (this.ws === ws && !this.closed) void this.reconnect();
    });
    ws.on("error", () => undefined);
    if (this.opts.sendSession && !this.sessionSent) {
      this.sessionSent = true;
      // Everything but the model (fixed when the call was created).
      const { model: _model, ...session } = this.opts.realtimeSession;
      this.updateSession(session);
    }
  }

  private updateSession(session: object): void {
    this.ownUpdates++;
    this.send({ type: "session.update", session });
  }

  /**
   * Someone else (the page, over a data channel) changed the instructions or tools: they are set back
   * and the attempt is audited. While the gateway's own update is on its way, the next
   * `session.updated` may predate it; that update sets things right by itself.
   */
  private guardSession(session: { instructions?: unknown; tools?: unknown }): void {
    const ours = this.ownUpdates > 0;
    if (ours) this.ownUpdates--;
    if (ours || guardedPart(session) === guardedPart(this.opts.realtimeSession)) return;
    const { instructions, tools, tool_choice } = this.opts.realtimeSession;
    this.updateSession({ type: "realtime", instructions, tools, tool_choice });
    voiceMetrics().sessionReverted();
    this.opts.log.warn({ callId: this.opts.callId }, "realtime session changed by the page: reverted");
    void writeAudit({
      ...actorOf(this.opts.principal),
      action: "realtime.session_reverted",
      outcome: "denied",
      resource: `voice call ${this.opts.callId}`,
      details: { providerCallId: this.opts.providerCallId },
    });
  }

  private async reconnect(): Promise<void> {
    const until = Date.now() + SIDEBAND_RECONNECT_MS;
    while (!this.closed && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 500));
      try {
        await this.connect();
        this.opts.log.info({ callId: this.opts.callId }, "realtime sideband reconnected");
        return;
      } catch {
        // try again until the deadline
      }
    }
    if (this.closed) return;
    this.opts.log.warn({ callId: this.opts.callId }, "realtime sideband lost");
    this.finish({
      status: "interrupted",
      code: "sideband_lost",
      reason: "The realtime connection was lost.",
    });
    this.opts.onLost();
  }

  private send(event: object): void {
    if (this.ws?.readyState === 1)
      this.ws.send(JSON.stringify({ event_id: `evt_${randomUUID()}`, ...event }));
  }

  private setState(state: CallState): void {
    if (this.closed || this.state === state) return;
    this.state = state;
    this.opts.events.state(state);
  }

  // ---- the page's controls ----------------------------------------------------------------------

  /** Push-to-talk: pressed stops the agent and starts a fresh turn; released commits it. */
  ptt(pressed: boolean): void {
    if (this.closed || this.input !== "push-to-talk") return;
    if (pressed) {
      this.send({ type: "input_audio_buffer.clear" });
      if (this.answering) {
        this.send({ type: "response.cancel" });
        this.send({ type: "output_audio_buffer.clear" });
      }
      this.setState("hearing");
    } else {
      this.send({ type: "input_audio_buffer.commit" });
      this.send({ type: "response.create" });
      this.setState("thinking");
    }
  }

  setInput(input: InputMode): void {
    this.input = input;
    this.updateSession({ type: "realtime", audio: { input: { turn_detection: turnDetection(input) } } });
  }

  /** The provider measures what was played itself (`audio_end_ms`): the page's report is not needed. */
  played(): void {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.finish({ status: "interrupted", code: "call_ended", reason: "The call ended during the answer." });
    this.closed = true;
    if (this.counted) voiceMetrics().realtimeEnded();
    const ws = this.ws;
    this.ws = undefined;
    ws?.close();
    await hangupRealtimeCall(this.opts.providerCallId);
  }

  // ---- the provider's events --------------------------------------------------------------------

  private onEvent(e: ServerEvent): void {
    if (this.closed) return;
    switch (e.type) {
      case "session.updated":
        this.guardSession(e.session ?? {});
        return;
      case "input_audio_buffer.speech_started":
        this.setState(this.answering?.audioStartedAt ? "interrupted" : "hearing");
        return;
      case "input_audio_buffer.speech_stopped":
        this.setState("thinking");
        return;
      case "conversation.item.input_audio_transcription.delta": {
        const id = str(e.item_id);
        const text = (this.userText.get(id) ?? "") + str(e.delta);
        this.userText.set(id, text);
        this.opts.events.caption("user", text, true);
        return;
      }
      case "conversation.item.input_audio_transcription.completed": {
        this.userText.delete(str(e.item_id));
        const words = str(e.transcript).trim();
        if (words) this.opts.events.caption("user", words);
        void this.startTurn(words);
        return;
      }
      case "error": {
        const err = (e.error ?? {}) as { code?: string; message?: string };
        if (err.code && HARMLESS_ERRORS.has(err.code)) return;
        voiceMetrics().providerError("realtime", "event"); // an `error` event: no HTTP status
        this.opts.log.warn({ code: err.code, message: err.message }, "realtime provider error");
        this.opts.events.problem(
          "realtime_error",
          `The realtime voice had a problem: ${err.message ?? "unknown"}.`,
        );
        return;
      }
      case "response.created":
      case "response.output_item.added":
      case "response.output_audio_transcript.delta":
      case "response.output_audio_transcript.done":
      case "response.function_call_arguments.done":
      case "response.done":
      case "output_audio_buffer.started":
      case "output_audio_buffer.stopped":
      case "output_audio_buffer.cleared":
      case "conversation.item.truncated":
        if (this.answering) this.onAnswerEvent(this.answering, e);
        else this.early.push(e);
        return;
      default:
        return;
    }
  }

  /** The person's words start a turn (as a typed message would), answered by the provider. */
  private async startTurn(words: string): Promise<void> {
    if (!words && this.early.length === 0) {
      this.setState("listening");
      return;
    }
    const driver: TurnDriver = (input) =>
      new Promise<TurnOutcome>((resolve) => {
        const a: Answering = {
          input,
          resolve,
          text: "",
          pieces: [],
          toolsPending: 0,
          tokens: { textIn: 0, audioIn: 0, textOut: 0, audioOut: 0 },
          recording: [],
        };
        this.answering = a;
        input.signal.addEventListener("abort", () => {
          this.send({ type: "response.cancel" });
          this.send({ type: "output_audio_buffer.clear" });
          this.settle(a, stopOutcome(input.signal, getConfig().settings.speech.realtime.model));
        });
        for (const e of this.early.splice(0)) this.onAnswerEvent(a, e);
      });
    try {
      await turns().start(
        this.opts.principal,
        this.opts.session,
        words || "(speech that was not recognised)",
        { spoken: { callId: this.opts.callId }, driver },
      );
    } catch (err) {
      // Refused (budget, a turn still running): the provider's answer goes on, unrecorded.
      this.early = [];
      this.opts.log.warn({ err }, "realtime turn not started");
      this.opts.events.problem("turn_refused", (err as Error).message);
    }
  }

  private onAnswerEvent(a: Answering, e: ServerEvent): void {
    const model = getConfig().settings.speech.realtime.model;
    switch (e.type) {
      case "output_audio_buffer.started":
        a.audioStartedAt = performance.now();
        this.setState("speaking");
        return;
      case "output_audio_buffer.stopped":
      case "output_audio_buffer.cleared":
        if (this.state === "speaking") this.setState("listening");
        return;
      case "response.output_audio_transcript.delta": {
        const delta = str(e.delta);
        if (!delta) return;
        a.itemId = str(e.item_id, a.itemId);
        a.assistant ??= a.input.record.startAssistant();
        // The provider gives no word timing (and its transcript runs ahead of its audio): each piece
        // is placed by the characters spoken before it, at a talking pace.
        const last = a.pieces.at(-1);
        const startMs = last ? last.startMs + last.durationMs : 0;
        a.pieces.push({ text: delta.trim(), startMs, durationMs: delta.length * MS_PER_CHARACTER });
        a.assistant.delta(delta);
        a.text += delta;
        this.opts.events.caption("agent", a.text.trim());
        return;
      }
      case "response.function_call_arguments.done":
        void this.runTool(a, str(e.call_id), str(e.name), str(e.arguments, "{}")).catch((err: unknown) =>
          this.opts.log.error({ err }, "realtime function call not handled"),
        );
        return;
      case "conversation.item.truncated":
        a.truncating = this.truncate(a, Number(e.audio_end_ms ?? 0));
        return;
      case "response.done": {
        const r = (e.response ?? {}) as {
          status?: string;
          status_details?: { error?: { message?: string } };
          usage?: RealtimeUsage;
          output?: { type?: string }[];
        };
        a.input.record.usage.promptTokens += r.usage?.input_tokens ?? 0;
        a.input.record.usage.completionTokens += r.usage?.output_tokens ?? 0;
        addTokens(a.tokens, r.usage);
        a.input.record.steps += 1;
        if (
          r.status === "completed" &&
          (a.toolsPending > 0 || r.output?.some((o) => o.type === "function_call"))
        )
          return; // the answer comes in the next response, after the tool's output
        if (r.status === "cancelled") {
          // Spoken over: the truncation (if any) is written before the turn ends.
          void (a.truncating ?? Promise.resolve()).then(() => this.settle(a, { status: "cancelled", model }));
          return;
        }
        if (r.status === "failed" || r.status === "incomplete") {
          this.settle(a, {
            status: "failed",
            code: "realtime_failed",
            reason: r.status_details?.error?.message ?? `The realtime answer ended as ${r.status}.`,
            model,
          });
          return;
        }
        this.settle(a, { status: "completed", model });
        return;
      }
      default:
        return;
    }
  }

  /**
   * A function call: checked and run like any tool call of a turn, its output sent back as soon as it
   * is known. Its rows (the assistant message holding the call, the tool's message) are written in
   * the turn's order meanwhile (TurnRecord.queueWrite): the provider does not wait for them, and the
   * turn does not end before them; one that fails is logged and fails the turn.
   */
  private async runTool(a: Answering, providerCallId: string, name: string, args: string): Promise<void> {
    a.toolsPending++;
    const id = randomUUID();
    const assistant = a.assistant ?? a.input.record.startAssistant();
    a.assistant = undefined;
    const started = performance.now();
    // Written while the tool runs: the turn's writes keep their order, so it still precedes the
    // tool's message.
    const holdingCall = assistant.complete([{ id, name, arguments: args }]).then(
      () => undefined,
      (err: unknown) => err,
    );
    let output: string;
    let recorded: Promise<unknown>;
    try {
      const result = await callToolFor(a.input, { id, name, arguments: args });
      output = result.content;
      recorded = result.recorded;
    } catch (err) {
      // Not even queued (Postgres refused the call's row): the provider is told, the turn fails.
      output = "Error: the tool could not be run.";
      recorded = Promise.resolve(err ?? new Error("the tool call was refused"));
    }
    voiceMetrics().stage("tool_output", (performance.now() - started) / 1000);
    a.toolsPending--;
    const settled = Promise.all([holdingCall, recorded]).then((errors) => {
      const err = errors.find((e) => e !== undefined);
      if (err === undefined) return;
      a.notRecorded = true;
      this.opts.log.error({ err, tool: name }, "realtime function call not recorded");
    });
    a.recording.push(settled);
    if (this.answering === a && !this.closed) {
      this.send({
        type: "conversation.item.create",
        item: { type: "function_call_output", call_id: providerCallId, output },
      });
      this.send({ type: "response.create" });
    }
    await settled;
  }

  private async truncate(a: Answering, audioEndMs: number): Promise<void> {
    const messageId = await this.completeAnswer(a);
    if (!messageId) return;
    await keepHeardText({
      sessionId: this.opts.session.id,
      turnId: a.input.record.turnId,
      messageId,
      callId: this.opts.callId,
      heard: heardText(a.pieces, audioEndMs),
      heardMs: Math.round(audioEndMs),
      heardFrom: "provider",
      fullText: a.text,
    }).catch((err: unknown) => this.opts.log.warn({ err }, "interrupted answer not recorded"));
  }

  private async completeAnswer(a: Answering): Promise<string | undefined> {
    if (a.assistant) {
      const assistant = a.assistant;
      a.assistant = undefined;
      a.messageId = (await assistant.complete([])) ?? a.messageId;
    }
    return a.messageId;
  }

  private settle(a: Answering, settled: TurnOutcome): void {
    if (this.answering !== a) return;
    this.answering = undefined;
    const { provider, model } = getConfig().settings.speech.realtime;
    const costUsd = realtimeCostUsd(provider, model, a.tokens);
    const { turnId } = a.input.record;
    // After the function calls' rows (a failed one fails the turn), and the answer's own.
    void Promise.all(a.recording)
      .then(() => this.completeAnswer(a))
      .then(() =>
        db().message.updateMany({ where: { turnId, role: "assistant" }, data: { source: "voice" } }),
      )
      .catch((err: unknown) => this.opts.log.warn({ err }, "realtime answer not recorded"))
      .finally(() =>
        a.resolve(
          a.notRecorded
            ? {
                status: "failed",
                code: "not_recorded",
                reason: "A tool's result could not be saved, so the turn was stopped.",
                model,
                costUsd,
              }
            : { ...settled, costUsd },
        ),
      );
  }

  /** Ends the answer in progress (the call ended or the sideband is gone). */
  private finish(outcome: Omit<TurnOutcome, "model">): void {
    const a = this.answering;
    if (a) this.settle(a, { ...outcome, model: getConfig().settings.speech.realtime.model });
  }
}
