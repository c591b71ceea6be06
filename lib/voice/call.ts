// One cascaded voice call: the person's audio → VAD and endpointing → speech to text → an agent turn
// (the same turn as a typed message) → the answer cut into sentences → text to speech → the peer.
// Speaking over the agent pauses it at once; words within BARGE_IN_CONFIRM_MS cancel the turn and
// keep only what was heard; a cough or the agent's own echo lets it go on.
import type { Logger } from "pino";
import type { Principal } from "../auth/principal";
import { getConfig } from "../config";
import { turns, type Admitted } from "../agent/turns";
import { db } from "../server/db";
import { redis } from "../server/redis";
import { followSession, lastSeq } from "../realtime/event-log";
import { TURN_END_EVENTS, type SessionEvent } from "../realtime/events";
import { SpeechChunker } from "./chunker";
import { ENERGY_BLOCKS, Endpointer, FRAME_MS, frameEnergyDb, type EndpointEvent } from "./endpointer";
import { isEcho, RecentSpeech } from "./echo-filter";
import { OUTPUT_RATE, type MediaPeer } from "./media-peer";
import { SpeechError, synthesize, transcribe } from "./speech-client";
import { heardText, type SpokenPiece } from "./truncation";
import { Slots } from "./slots";
import { FrameCutter } from "./frames";
import { keepHeardText } from "./interrupted-answer";
import { SileroVad, VAD_FRAME } from "./vad";
import { voiceMetrics } from "./metrics";
import { ATTR, NO_SPAN, openSpan, withSpan, type TraceSpan } from "../tracing/spans";

/** How long an interruption waits for the cancelled turn to end before correcting its message. */
const TURN_END_WAIT_MS = 2_000;
/** A push-to-talk press interrupts at once: the page's played-audio report just before it counts. */
const PLAYED_REPORT_FRESH_MS = 1_000;
/** Words after a pause that confirm an interruption; silence after it lets the agent go on. */
export const BARGE_IN_CONFIRM_MS = 1_500;
/** A tool running this long gets a spoken cue. */
const TOOL_CUE_MS = 1_500;
/** Audio kept from before the onset (the start of the first word). */
const MAX_UTTERANCE_S = 30;
/** TTS requests in flight at once (in order). */
const TTS_PARALLEL = 2;

export type CallState = "listening" | "hearing" | "thinking" | "speaking" | "interrupted";

export interface CallEvents {
  state(state: CallState): void;
  /** `partial`: the person's words so far, while they are being recognised. */
  caption(role: "user" | "agent", text: string, partial?: boolean): void;
  /** A recoverable problem (the call goes on): shown as a toast. */
  problem(code: string, message: string): void;
}

interface Answer {
  turnId: string;
  chunker: SpeechChunker;
  pieces: SpokenPiece[];
  /** Peer audio time at which this answer's first audio was queued. */
  audioStart: number | undefined;
  /** Pending TTS, in order. */
  speaking: Promise<void>;
  /** Speech requests in flight (at most TTS_PARALLEL). */
  ttsSlots: Slots;
  tts: AbortController;
  ended: boolean;
  firstAudioAt?: number;
  /** The chunker cut the first piece to speak (for the first_sentence stage). */
  firstPieceCut?: boolean;
  messageId?: string;
  fullText: string;
  toolCue?: NodeJS.Timeout;
  /** Cuts the first piece when the model stops before punctuating (SpeechChunker.dueAt). */
  firstPieceTimer?: NodeJS.Timeout;
  voiceLost: boolean;
  /** The utterance this answers: its speech synthesis spans belong to that trace. */
  trace: TraceSpan;
}

export class VoiceCallPipeline {
  private vad!: SileroVad;
  private readonly endpointer: Endpointer;
  private readonly recent = new RecentSpeech();
  private readonly frames = new FrameCutter(VAD_FRAME);
  /** One frame as the VAD takes it (it copies it in at once, so one buffer serves every frame). */
  private readonly vadInput = new Float32Array(VAD_FRAME);
  private utterance: Int16Array[] = [];
  private utteranceSamples = 0;
  private prefix: Int16Array[] = [];
  /** Unset until the pipeline runs, so its first state ("listening") reaches the page. */
  private state: CallState | undefined;
  private answer: Answer | undefined;
  /** Audio taken back from the peer when the agent was paused, to resume with. */
  private held: Int16Array[] | undefined;
  private pausedAt: number | undefined;
  /** The page's last report of the agent audio it had played (see `played`). */
  private playedReport: { ms: number; at: number } | undefined;
  private bargeTimer: NodeJS.Timeout | undefined;
  /**
   * Transcription started at SPECULATE_MS of silence, and the admission of its words (policy, budget)
   * once they are in, so the turn starts at once when the silence ends it; dropped if speech resumes.
   */
  private speculation:
    | {
        audio: Int16Array;
        result: Promise<string>;
        admitted: Promise<Admitted | undefined>;
        abort: AbortController;
      }
    | undefined;
  private unfollow: (() => Promise<void>) | undefined;
  private pttDown = false;
  private input: "push-to-talk" | "hands-free";
  private closed = false;
  /** Interrupted turns waiting for their end event (see turnEnded). */
  private readonly endings = new Map<string, () => void>();
  /** When the person's last utterance ended (for latency metrics). */
  private speechEndedAt = 0;
  /**
   * The trace of the utterance being heard (speculative recognition and admission included): its
   * recognition, its turn and the answer's synthesis are its spans. Made at the first moment that
   * needs it, ended when the utterance is sent or dropped.
   */
  private utteranceSpan: TraceSpan | undefined;
  /** The last sent utterance's span, for the answer that the turn it started produces. */
  private answeredSpan: TraceSpan | undefined;

  constructor(
    private readonly opts: {
      callId: string;
      principal: Principal;
      session: { id: string; title: string };
      peer: MediaPeer;
      events: CallEvents;
      log: Logger;
      redisUrl: string;
      input: "push-to-talk" | "hands-free";
    },
  ) {
    this.input = opts.input;
    const { turnDetection, bargeIn } = getConfig().settings.speech;
    this.endpointer = new Endpointer({
      threshold: turnDetection.threshold,
      silenceMs: turnDetection.silenceMs,
      sensitivity: bargeIn.sensitivity,
    });
  }

  async start(): Promise<void> {
    this.vad = await SileroVad.create();
    const sessionId = this.opts.session.id;
    this.unfollow = await followSession(
      redis(),
      this.opts.redisUrl,
      sessionId,
      await lastSeq(redis(), sessionId),
      (e) => this.onSessionEvent(e),
    );
    this.opts.peer.onAudio((pcm) => this.onAudio(pcm));
    this.setState("listening");
  }

  /**
   * The page played the agent's audio up to this RTP timestamp (it reports when the agent is
   * interrupted, and before a push-to-talk press): an interruption keeps what was really heard,
   * the browser's jitter buffer and the network included.
   */
  played(rtpTimestamp: number): void {
    const ms = this.opts.peer.playedMsAt(rtpTimestamp);
    if (ms !== undefined) this.playedReport = { ms, at: performance.now() };
  }

  /** Push-to-talk: pressed starts an utterance (interrupting the agent), released ends it. */
  ptt(pressed: boolean): void {
    if (this.closed || pressed === this.pttDown) return;
    this.pttDown = pressed;
    if (pressed) {
      this.endpointer.reset();
      this.beginUtterance();
      if (this.answer) void this.interrupt(true);
      this.setState("hearing");
    } else {
      this.speechEndedAt = performance.now();
      void this.finishUtterance(undefined);
    }
  }

  setInput(input: "push-to-talk" | "hands-free"): void {
    if (input === this.input) return;
    if (this.pttDown) this.ptt(false);
    this.input = input;
    this.endpointer.reset();
    this.utterance = [];
    this.utteranceSamples = 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.utteranceSpan?.end();
    this.utteranceSpan = undefined;
    clearTimeout(this.bargeTimer);
    this.speculation?.abort.abort();
    // Hanging up stops the voice, not the agent: a turn still running finishes as text in the chat.
    if (this.answer) {
      clearTimeout(this.answer.toolCue);
      clearTimeout(this.answer.firstPieceTimer);
      this.answer.tts.abort();
      this.opts.peer.takeBack();
    }
    await this.unfollow?.().catch(() => undefined);
  }

  /** The person is speaking (an utterance in progress, not yet sent). */
  get hearing(): boolean {
    return this.state === "hearing" || this.pttDown;
  }

  private setState(state: CallState): void {
    if (this.closed || this.state === state) return;
    this.state = state;
    this.opts.events.state(state);
  }

  // ---- the person's audio -------------------------------------------------------------------

  /**
   * Every frame is decided as its audio arrives (the VAD runs synchronously, ~0.2 ms a frame): a
   * late turn of the event loop delays the frames it finds waiting, never the ones after them.
   */
  private onAudio(pcm: Int16Array): void {
    if (this.closed) return;
    const arrived = performance.now();
    for (const frame of this.frames.push(pcm)) this.step(() => this.onFrame(frame, arrived));
    // The rest, not yet a frame, may complete a pause that ends the turn (Endpointer.partial).
    if (this.input === "hands-free") {
      const rest = this.frames.pending();
      if (rest.length > 0) this.step(() => this.onPartial(rest, arrived));
    }
  }

  private step(run: () => void): void {
    try {
      run();
    } catch (err) {
      this.opts.log.error({ err }, "voice activity detection failed");
    }
  }

  private onPartial(rest: Int16Array, arrived: number): void {
    const ms = (rest.length / VAD_FRAME) * FRAME_MS;
    if (this.closed || this.input !== "hands-free" || !this.endpointer.endsWithin(ms)) return;
    let energy = 0;
    for (let i = 0; i < rest.length; i++) energy += (rest[i]! / 32_768) ** 2;
    const events = this.endpointer.partial(ms, frameEnergyDb(energy / rest.length));
    if (events.length === 0) return;
    voiceMetrics().stage("vad_queue", (performance.now() - arrived) / 1000);
    for (const e of events) this.onEndpoint(e);
  }

  /** `arrived`: when the audio completing the frame arrived (for the vad_queue stage). */
  private onFrame(frame: Int16Array, arrived: number): void {
    if (this.closed) return;
    if (this.input === "push-to-talk") {
      if (this.pttDown) this.addToUtterance(frame);
      return;
    }
    const f = this.vadInput;
    const blockLength = VAD_FRAME / ENERGY_BLOCKS;
    const blocksDb: number[] = [];
    let energy = 0;
    for (let b = 0; b < ENERGY_BLOCKS; b++) {
      let block = 0;
      for (let i = b * blockLength; i < (b + 1) * blockLength; i++) {
        const x = frame[i]! / 32_768;
        f[i] = x;
        block += x * x;
      }
      blocksDb.push(frameEnergyDb(block / blockLength));
      energy += block;
    }
    const p = this.vad.probabilityNow(f);
    const events = this.endpointer.frame(p, frameEnergyDb(energy / VAD_FRAME), blocksDb);
    if (events.some((e) => e.type === "speech-start" || e.type === "end"))
      voiceMetrics().stage("vad_queue", (performance.now() - arrived) / 1000);
    // An onset takes the frames before it (prefix padding) into the utterance, then this one.
    for (const e of events) if (e.type === "speech-start") this.onEndpoint(e);
    if (this.endpointer.speaking || events.some((e) => e.type === "end")) this.addToUtterance(frame);
    else {
      this.prefix.push(frame);
      const keep = Math.ceil((getConfig().settings.speech.turnDetection.prefixPaddingMs * 16) / VAD_FRAME);
      while (this.prefix.length > keep) this.prefix.shift();
    }
    for (const e of events) if (e.type !== "speech-start") this.onEndpoint(e);
  }

  private beginUtterance(): void {
    this.utterance = [...this.prefix];
    this.utteranceSamples = this.utterance.reduce((n, f) => n + f.length, 0);
    this.prefix = [];
    this.speculation?.abort.abort();
    this.speculation = undefined;
  }

  private addToUtterance(frame: Int16Array): void {
    if (this.utteranceSamples >= MAX_UTTERANCE_S * 16_000) return;
    this.utterance.push(frame);
    this.utteranceSamples += frame.length;
  }

  private utteranceAudio(): Int16Array {
    const out = new Int16Array(this.utteranceSamples);
    let o = 0;
    for (const f of this.utterance) {
      out.set(f, o);
      o += f.length;
    }
    return out;
  }

  private onEndpoint(e: EndpointEvent): void {
    switch (e.type) {
      case "speech-start":
        this.beginUtterance();
        if (this.answer && getConfig().settings.speech.bargeIn.enabled) this.pause();
        this.setState(this.state === "interrupted" ? "interrupted" : "hearing");
        break;
      case "speculate": {
        const audio = this.utteranceAudio();
        const abort = new AbortController();
        this.speculation = this.heardSpan().run(() => {
          const result = this.recognise(audio, abort.signal, true, (partial) => {
            if (!abort.signal.aborted) this.opts.events.caption("user", partial, true);
          });
          result.catch(() => undefined);
          // A refusal here is not final: `start` admits again and reports it.
          const admitted = result
            .then((text) =>
              text && !abort.signal.aborted ? turns().admit(this.opts.principal, text) : undefined,
            )
            .catch(() => undefined);
          return { audio, result, admitted, abort };
        });
        break;
      }
      case "resume":
        this.speculation?.abort.abort();
        this.speculation = undefined;
        break;
      case "end":
        this.speechEndedAt = performance.now() - e.silentMs;
        void this.finishUtterance(this.speculation);
        this.speculation = undefined;
        break;
    }
  }

  /** The span of the utterance being heard (made now if it has none yet). */
  private heardSpan(): TraceSpan {
    this.utteranceSpan ??= openSpan("voice.utterance", {
      kind: "server",
      parent: null,
      attributes: { [ATTR.voiceCallId]: this.opts.callId, [ATTR.sessionId]: this.opts.session.id },
    });
    return this.utteranceSpan;
  }

  /** Speech to text, as a span of the utterance. */
  private recognise(
    audio: Int16Array,
    signal: AbortSignal | undefined,
    speculative: boolean,
    partial: (text: string) => void,
  ): Promise<string> {
    return withSpan("voice.stt", { kind: "client", attributes: { [ATTR.speculative]: speculative } }, () =>
      transcribe(audio, signal, partial),
    );
  }

  /** The utterance is over: its words become the person's message (or nothing, for noise and echo). */
  private async finishUtterance(speculation: VoiceCallPipeline["speculation"]): Promise<void> {
    const span = this.heardSpan();
    this.utteranceSpan = undefined; // the next utterance gets its own trace
    try {
      await span.run(() => this.hearUtterance(speculation, span));
    } finally {
      span.end();
    }
  }

  private async hearUtterance(speculation: VoiceCallPipeline["speculation"], span: TraceSpan): Promise<void> {
    const audio = this.utteranceAudio();
    this.utterance = [];
    this.utteranceSamples = 0;
    if (audio.length < 16_000 * 0.2) return this.afterNothingSaid();
    const sttStart = performance.now();
    let text: string;
    try {
      text = speculation
        ? await speculation.result
        : await this.recognise(audio, undefined, false, (partial) =>
            this.opts.events.caption("user", partial, true),
          );
    } catch (err) {
      if (this.closed) return;
      const message = err instanceof SpeechError ? err.message : "Speech recognition failed.";
      voiceMetrics().providerError("stt", err instanceof SpeechError ? err.status : undefined);
      this.opts.log.warn({ err: err instanceof SpeechError ? err.message : err }, "speech to text failed");
      this.opts.events.problem("stt_failed", `${message} What you said was not sent; please say it again.`);
      return this.afterNothingSaid();
    }
    voiceMetrics().stage("stt", (performance.now() - sttStart) / 1000);
    if (this.closed) return;
    if (!text) return this.afterNothingSaid();
    if (isEcho(text, this.recent.at(Date.now()))) {
      voiceMetrics().echoDrop();
      this.opts.log.info({ callId: this.opts.callId }, "transcript dropped as the agent's own echo");
      return this.afterNothingSaid();
    }
    // With barge-in off, what is said while the agent talks is not taken (push-to-talk still is).
    if (this.answer && !getConfig().settings.speech.bargeIn.enabled && this.input === "hands-free")
      return this.afterNothingSaid();
    this.opts.events.caption("user", text);
    if (this.answer) await this.interrupt(false);
    this.answeredSpan = span;
    await this.ask(text, await speculation?.admitted);
  }

  /** Noise, a cough, an echo: an agent paused by it goes on; otherwise back to listening. */
  private afterNothingSaid(): void {
    if (this.held !== undefined && this.answer) {
      voiceMetrics().falseInterruption();
      this.resume();
    } else if (this.answer) this.setState(this.answer.firstAudioAt ? "speaking" : "thinking");
    else this.setState("listening");
  }

  // ---- the agent's answer -------------------------------------------------------------------

  private async ask(text: string, admitted?: Admitted): Promise<void> {
    this.setState("thinking");
    try {
      await turns().start(this.opts.principal, this.opts.session, text, {
        spoken: { callId: this.opts.callId, admitted },
      });
    } catch (err) {
      const e = err as { message?: string };
      this.opts.events.problem("turn_refused", e.message ?? "The message could not be sent.");
      this.setState("listening");
    }
  }

  private onSessionEvent(e: SessionEvent): void {
    if ("turnId" in e && TURN_END_EVENTS.has(e.type)) this.endings.get(e.turnId)?.();
    if (this.closed) return;
    if (e.type === "turn.started") {
      if (e.source !== "voice") return;
      this.answer = {
        turnId: e.turnId,
        chunker: new SpeechChunker(),
        pieces: [],
        audioStart: undefined,
        speaking: Promise.resolve(),
        ttsSlots: new Slots(TTS_PARALLEL),
        tts: new AbortController(),
        ended: false,
        fullText: "",
        voiceLost: false,
        trace: this.answeredSpan ?? NO_SPAN,
      };
      return;
    }
    const a = this.answer;
    if (!a || !("turnId" in e) || e.turnId !== a.turnId) return;
    switch (e.type) {
      case "message.started":
        a.messageId = e.messageId;
        if (this.speechEndedAt)
          voiceMetrics().stage("llm_ttft", (performance.now() - this.speechEndedAt) / 1000);
        break;
      case "message.delta":
        a.messageId = e.messageId;
        a.fullText += e.delta;
        for (const piece of a.chunker.push(e.delta, performance.now())) this.say(a, piece);
        this.scheduleFirstPiece(a);
        break;
      case "tool.started":
        clearTimeout(a.toolCue);
        a.toolCue = setTimeout(() => this.say(a, "One moment, I'm working on it."), TOOL_CUE_MS);
        break;
      case "tool.finished":
        clearTimeout(a.toolCue);
        break;
      default:
        if (TURN_END_EVENTS.has(e.type)) {
          clearTimeout(a.toolCue);
          clearTimeout(a.firstPieceTimer);
          for (const piece of a.chunker.flush()) this.say(a, piece);
          a.ended = true;
          // The answer is a spoken one whether or not it plays to the end (a hang-up stops the voice).
          void db()
            .message.updateMany({ where: { turnId: a.turnId, role: "assistant" }, data: { source: "voice" } })
            .catch(() => undefined);
          void a.speaking.then(() => this.afterAnswer(a));
        }
    }
  }

  /** The first piece waits for punctuation at most FIRST_PIECE_WAIT_MS, even if the model pauses. */
  private scheduleFirstPiece(a: Answer): void {
    clearTimeout(a.firstPieceTimer);
    const at = a.chunker.dueAt();
    if (at === undefined) return;
    a.firstPieceTimer = setTimeout(
      () => {
        if (this.answer !== a) return;
        for (const piece of a.chunker.due(performance.now())) this.say(a, piece);
      },
      Math.max(0, at - performance.now()),
    );
  }

  /** Queues one piece: synthesised at most TTS_PARALLEL at a time, played in order. */
  private say(a: Answer, text: string): void {
    if (a.tts.signal.aborted) return;
    if (a.pieces.length === 0 && !a.firstPieceCut) {
      a.firstPieceCut = true;
      if (this.speechEndedAt)
        voiceMetrics().stage("first_sentence", (performance.now() - this.speechEndedAt) / 1000);
    }
    this.opts.events.caption("agent", text);
    const audio: Int16Array[] = [];
    let done = false;
    let notify: (() => void) | undefined;
    const started = performance.now();
    const synth = (async () => {
      await a.ttsSlots.acquire();
      try {
        await a.trace.run(() =>
          withSpan("voice.tts", { kind: "client", attributes: { [ATTR.characters]: text.length } }, () =>
            synthesize(
              text,
              (pcm) => {
                audio.push(pcm);
                notify?.();
              },
              a.tts.signal,
            ),
          ),
        );
      } finally {
        a.ttsSlots.release();
        done = true;
        notify?.();
      }
    })();
    synth.catch(() => undefined);
    const previous = a.speaking;
    a.speaking = (async () => {
      await previous;
      if (a.tts.signal.aborted) return;
      const piece: SpokenPiece = { text, startMs: 0, durationMs: 0 };
      let first = true;
      for (;;) {
        const pcm = audio.shift();
        if (pcm) {
          if (first) {
            first = false;
            voiceMetrics().stage("tts_ttfb", (performance.now() - started) / 1000);
            a.audioStart ??= this.opts.peer.queuedMs();
            piece.startMs = this.opts.peer.queuedMs() - a.audioStart;
            a.pieces.push(piece);
            if (!a.firstAudioAt) {
              a.firstAudioAt = performance.now();
              if (this.speechEndedAt)
                voiceMetrics().stage("e2e", (a.firstAudioAt - this.speechEndedAt) / 1000);
              if (this.state !== "interrupted" && this.state !== "hearing") this.setState("speaking");
            }
          }
          piece.durationMs += (pcm.length * 1000) / OUTPUT_RATE;
          if (this.held) this.held.push(pcm);
          else this.opts.peer.play(pcm);
          continue;
        }
        if (done || a.tts.signal.aborted) break;
        await new Promise<void>((r) => (notify = r));
        notify = undefined;
      }
      try {
        await synth;
      } catch (err) {
        if (a.tts.signal.aborted) return;
        voiceMetrics().providerError("tts", err instanceof SpeechError ? err.status : undefined);
        this.opts.log.warn({ err: err instanceof SpeechError ? err.message : err }, "text to speech failed");
        if (!a.voiceLost) {
          a.voiceLost = true;
          this.opts.events.problem(
            "tts_failed",
            `${err instanceof SpeechError ? err.message : "The voice failed."} Voice unavailable: the answer is shown as text.`,
          );
        }
      }
      this.recent.add(text, Date.now() + Math.max(0, this.opts.peer.queuedMs() - this.opts.peer.sentMs()));
    })();
  }

  private async afterAnswer(a: Answer): Promise<void> {
    // The answer lasts until its audio has played out (a pause for the person's voice extends it).
    while (this.answer === a && !this.closed) {
      const left = this.opts.peer.queuedMs() - this.opts.peer.sentMs();
      if (left <= 0 && this.held === undefined) break;
      await new Promise((r) => setTimeout(r, Math.min(100, Math.max(20, left))));
    }
    if (this.answer !== a || this.closed) return;
    this.answer = undefined;
    if (this.state !== "hearing") this.setState("listening");
  }

  // ---- interruptions ------------------------------------------------------------------------

  /** The person started speaking over the agent: silence at once, keep the rest in case it was a cough. */
  private pause(): void {
    if (this.held !== undefined) return;
    const t0 = performance.now();
    this.pausedAt = this.opts.peer.sentMs();
    this.playedReport = undefined;
    this.held = this.opts.peer.takeBack();
    voiceMetrics().stage("barge_in", (performance.now() - t0) / 1000);
    this.setState("interrupted");
    clearTimeout(this.bargeTimer);
    this.bargeTimer = setTimeout(() => {
      // No words in time: a false interruption, unless the person is still talking.
      if (!this.endpointer.speaking && this.held !== undefined) {
        voiceMetrics().falseInterruption();
        this.resume();
      }
    }, BARGE_IN_CONFIRM_MS);
  }

  private resume(): void {
    clearTimeout(this.bargeTimer);
    const held = this.held ?? [];
    this.held = undefined;
    this.pausedAt = undefined;
    this.playedReport = undefined;
    for (const pcm of held) this.opts.peer.play(pcm);
    this.setState(this.answer?.firstAudioAt ? "speaking" : "thinking");
  }

  /**
   * Ends the answer: the turn is cancelled, nothing more is said, and the message keeps what was
   * heard (the full text goes to its metadata). `now`: from push-to-talk or hang-up, no pause first.
   */
  private async interrupt(now: boolean): Promise<void> {
    const a = this.answer;
    if (!a) return;
    clearTimeout(this.bargeTimer);
    clearTimeout(a.toolCue);
    clearTimeout(a.firstPieceTimer);
    const sent = now || this.pausedAt === undefined ? this.opts.peer.sentMs() : this.pausedAt;
    const report = this.playedReport;
    // After a pause, the report the page sent when told of it; for an immediate stop, one just before.
    const paused = !now && this.pausedAt !== undefined;
    const fresh = report && (paused || performance.now() - report.at < PLAYED_REPORT_FRESH_MS);
    const reported = fresh ? report.ms : undefined;
    this.playedReport = undefined;
    const played = Math.min(sent, reported ?? sent) - (a.audioStart ?? this.opts.peer.sentMs());
    this.opts.peer.takeBack();
    this.held = undefined;
    this.pausedAt = undefined;
    a.tts.abort();
    this.answer = undefined;
    const sessionId = this.opts.session.id;
    if (!a.ended) {
      const ended = this.turnEnded(a.turnId);
      await turns()
        .cancel(sessionId, a.turnId)
        .catch(() => undefined);
      await ended;
    }
    const heardMs = Math.max(0, Math.round(played));
    const heard = heardText(a.pieces, heardMs);
    if (!a.messageId) return;
    await keepHeardText({
      sessionId,
      turnId: a.turnId,
      messageId: a.messageId,
      callId: this.opts.callId,
      heard,
      heardMs,
      heardFrom: reported === undefined ? "server" : "page",
      fullText: a.fullText,
    });
    this.opts.log.info({ callId: this.opts.callId, turnId: a.turnId, heardMs }, "answer interrupted");
  }

  /** Resolves at the turn's end event (its final text is written by then), or after 2 s. */
  private turnEnded(turnId: string): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.endings.delete(turnId);
        resolve();
      };
      const timer = setTimeout(done, TURN_END_WAIT_MS);
      this.endings.set(turnId, done);
    });
  }
}
