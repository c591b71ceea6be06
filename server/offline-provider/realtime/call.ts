// One realtime call of the stub provider: the "model" behind a WebRTC peer and its sideband
// WebSockets. It hears turns with Silero VAD + the Endpointer (server_vad / semantic_vad) or on
// input_audio_buffer.commit (turn_detection null), recognises them with the stub's pocketsphinx
// worker, answers from script.ts (spoken with espeak-ng, a sentence at a time, paced at playback
// speed) or with a function call, and is interrupted by speech while it talks.
//
// Server events, in order (every one `{type, event_id: "event_<n>", ...}`):
//   sideband connects        session.created
//   a turn (VAD)             input_audio_buffer.speech_started {audio_start_ms, item_id}
//                            input_audio_buffer.speech_stopped {audio_end_ms, item_id}
//                            input_audio_buffer.committed {item_id, previous_item_id}
//                            conversation.item.added {item: user message, content [{type: input_audio}]}
//                            conversation.item.input_audio_transcription.delta {item_id, delta} (a word each)
//                            conversation.item.input_audio_transcription.completed {item_id, transcript}
//                            conversation.item.done
//                            (transcript "" → no response; create_response false → none either)
//   a spoken answer          response.created {response: {id: resp_…, status: in_progress}}
//                            response.output_item.added {item: assistant message}
//                            conversation.item.added
//                            response.content_part.added
//                            output_audio_buffer.started {response_id}
//                            response.output_audio_transcript.delta {response_id, item_id, delta} (a sentence each,
//                              sent as its audio is queued on the peer)
//                            response.output_audio.done, response.output_audio_transcript.done {transcript},
//                            response.content_part.done
//                            output_audio_buffer.stopped {response_id} (the audio has been sent)
//                            response.output_item.done, conversation.item.done
//                            response.done {response: {status: completed, output, usage: AUDIO_RESPONSE_USAGE}}
//   a function call          response.created, response.output_item.added {item: function_call},
//                            conversation.item.added, response.function_call_arguments.delta,
//                            response.function_call_arguments.done {call_id, name, arguments, item_id},
//                            response.output_item.done, conversation.item.done,
//                            response.done {status: completed, usage: FUNCTION_CALL_RESPONSE_USAGE}
//   barge-in (speech_started while the answer plays, interrupt_response not false)
//                            output_audio_buffer.cleared {response_id},
//                            conversation.item.truncated {item_id, content_index: 0, audio_end_ms},
//                            response.done {status: cancelled, status_details.reason: turn_detected}
// As OpenAI, the same events go to an "oai-events" data channel when the offer has one, and client
// events are taken from it too (so a page holding the media can change the session: a gateway must
// watch session.updated). Events before the first sideband connects are kept for it (up to 1000);
// while no sideband is open later (closed by a test), they are lost.
// Unlike OpenAI, the stub's response.done comes after its audio has been sent (generation is paced
// at playback speed), input transcription is always on, and with turn_detection null a commit does
// not start a response (as OpenAI: the client sends response.create).
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { RTCDataChannel, RTCPeerConnection } from "werift";
import type WebSocket from "ws";
import { parseWav } from "../../../lib/audio/wav";
import { SpeechChunker } from "../../../lib/voice/chunker";
import { Endpointer, FRAME_MS, type EndpointEvent } from "../../../lib/voice/endpointer";
import { SileroVad, VAD_FRAME } from "../../../lib/voice/vad";
import type { WeriftPeerOptions } from "../../../lib/voice/webrtc-options";
import { WeriftPeer } from "../../../lib/voice/werift-peer";
import { scriptReply } from "../script";
import { speak } from "../speech/espeak";
import type { Recognizer } from "../speech/recognizer";
import {
  checkSession,
  defaultSession,
  functionTool,
  mergeSession,
  turnDetection,
  type RealtimeSession,
} from "./session";
import { AUDIO_RESPONSE_USAGE, FAILED_RESPONSE_USAGE, FUNCTION_CALL_RESPONSE_USAGE } from "./usage";
import { FrameCutter } from "../../../lib/voice/frames";

const hex = (bytes: number) => randomBytes(bytes).toString("hex");
/** The next sentence is synthesised once less than this much audio waits to be sent. */
const LOOKAHEAD_MS = 400;
/** Push-to-talk keeps at most this much audio in the input buffer (the newest). */
const MAX_BUFFER_MS = 30_000;
/** OpenAI refuses to commit less than 100 ms of audio. */
const MIN_COMMIT_MS = 100;
/** A call whose media never connects is ended after this long. */
const CONNECT_TIMEOUT_MS = 30_000;
/** Events kept for the first sideband when they happen before it connects. */
const BACKLOG = 1_000;

/**
 * werift's connection inside the shared WeriftPeer, for the data channel only the stub needs (the
 * gateway's cascaded calls have none); reached here rather than widening the gateway's peer.
 */
const peerConnection = (peer: WeriftPeer) => (peer as unknown as { pc: RTCPeerConnection }).pc;

type Item = Record<string, unknown> & { id: string; type: string };

interface ActiveResponse {
  id: string;
  abort: AbortController;
  output: Item[];
}

interface Playback {
  responseId: string;
  itemId: string;
  /** peer.queuedMs() when the item's first audio was queued: its audio is what was sent since. */
  startQueuedMs: number;
  started: boolean;
  /** More sentences may still be queued. */
  generating: boolean;
  finished: () => void;
}

export interface RealtimeCallOptions {
  recognizer: Recognizer;
  webrtc: WeriftPeerOptions;
  log: Logger;
  /** The session the call starts with (a client secret's, merged with the call's own). */
  session?: Record<string, unknown>;
  onEnd: (call: RealtimeCall) => void;
  /** Each server event as it is sent (for benchmarks). */
  onEvent?: (callId: string, event: Record<string, unknown>) => void;
}

export class RealtimeCall {
  readonly id = `rtc_${hex(12)}`;
  readonly peer: WeriftPeer;
  session: RealtimeSession;
  private readonly log: Logger;
  private readonly sidebands = new Set<WebSocket>();
  private readonly channels = new Set<RTCDataChannel>();
  private backlog: string[] | undefined = [];
  private eventSeq = 0;
  private closed = false;
  private readonly items: Item[] = [];
  private readonly transcripts = new Map<string, Promise<string>>();
  private readonly itemAudioMs = new Map<string, number>();
  /** What each assistant message said (for script.ts; the items carry it once complete). */
  private readonly spoken = new Map<string, string>();
  private active: ActiveResponse | undefined;
  private playback: Playback | undefined;
  private readonly watcher: NodeJS.Timeout;
  // ---- input audio
  private vad: Promise<SileroVad>;
  private endpointer: Endpointer;
  private endpointerOffsetMs = 0;
  private frames = 0;
  private readonly cutter = new FrameCutter(VAD_FRAME);
  private chain: Promise<void> = Promise.resolve();
  private prefix: Int16Array[] = [];
  private utterance: Int16Array[] | undefined;
  private utteranceItemId = "";
  private utteranceStartMs = 0;
  private buffer: Int16Array[] = [];

  constructor(private readonly opts: RealtimeCallOptions) {
    this.log = opts.log.child({ callId: this.id });
    this.session = mergeSession(defaultSession(`sess_${hex(12)}`), opts.session ?? {});
    this.peer = new WeriftPeer(opts.webrtc);
    this.vad = SileroVad.create();
    this.vad.catch((err: unknown) => this.log.error({ err }, "the realtime stub cannot load Silero VAD"));
    this.endpointer = this.newEndpointer();
    this.peer.onAudio((pcm) => this.onAudio(pcm));
    peerConnection(this.peer).onDataChannel.subscribe((channel) => this.attachChannel(channel));
    const connectTimer = setTimeout(() => {
      this.log.warn("realtime stub call media never connected: ending the call");
      this.end();
    }, CONNECT_TIMEOUT_MS);
    connectTimer.unref();
    this.peer.onState((state) => {
      if (state !== "connecting") clearTimeout(connectTimer);
      if (state === "failed" || state === "closed") {
        this.log.debug({ state }, "realtime stub call media ended");
        this.end();
      }
    });
    this.watcher = setInterval(() => this.watchPlayback(), 20);
    this.watcher.unref();
  }

  /** The SDP answer to the client's offer. */
  answer(offer: string): Promise<string> {
    return this.peer.answer(offer);
  }

  get ended(): boolean {
    return this.closed;
  }

  // ---- the sideband ---------------------------------------------------------------------

  attach(ws: WebSocket): void {
    if (this.closed) return void ws.close(1000, "call ended");
    this.sidebands.add(ws);
    ws.send(this.serialise({ type: "session.created", session: this.session }));
    for (const event of this.backlog ?? []) ws.send(event);
    this.backlog = undefined;
    ws.on("message", (data, isBinary) => {
      if (this.closed) return;
      this.onClientEvent(isBinary ? "" : (data as Buffer).toString("utf8"));
    });
    ws.on("close", () => this.sidebands.delete(ws));
    ws.on("error", (err) => this.log.warn({ err }, "realtime stub sideband error"));
  }

  private attachChannel(channel: RTCDataChannel): void {
    if (channel.label !== "oai-events") return;
    const open = () => {
      if (this.closed || this.channels.has(channel)) return;
      this.channels.add(channel);
      channel.send(this.serialise({ type: "session.created", session: this.session }));
    };
    channel.stateChange.subscribe((state) => {
      if (state === "open") open();
      if (state === "closed") this.channels.delete(channel);
    });
    channel.onMessage.subscribe((data) => {
      if (!this.closed) this.onClientEvent(typeof data === "string" ? data : data.toString("utf8"));
    });
    if (channel.readyState === "open") open();
  }

  /** Closes the open sidebands (the call goes on; a new sideband may connect). */
  closeSidebands(code = 1011, reason = "closed by the test"): number {
    const n = this.sidebands.size;
    for (const ws of this.sidebands) ws.close(code, reason);
    this.sidebands.clear();
    return n;
  }

  /** Hang-up: media and sidebands closed, no more events. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watcher);
    this.active?.abort.abort();
    this.active = undefined;
    this.playback?.finished();
    this.playback = undefined;
    this.closeSidebands(1000, "call ended");
    this.channels.clear();
    this.peer.close();
    this.opts.onEnd(this);
  }

  private serialise(event: Record<string, unknown>): string {
    const full = { event_id: `event_${++this.eventSeq}`, ...event };
    this.opts.onEvent?.(this.id, full);
    return JSON.stringify(full);
  }

  private emit(event: Record<string, unknown>): void {
    if (this.closed) return;
    const json = this.serialise(event);
    for (const channel of this.channels) if (channel.readyState === "open") channel.send(json);
    if (this.backlog) {
      if (this.backlog.length < BACKLOG) this.backlog.push(json);
      return;
    }
    for (const ws of this.sidebands) ws.send(json);
  }

  private error(code: string, message: string, clientEventId?: unknown, param?: string): void {
    this.emit({
      type: "error",
      error: {
        type: "invalid_request_error",
        code,
        message,
        param: param ?? null,
        event_id: typeof clientEventId === "string" ? clientEventId : null,
      },
    });
  }

  private onClientEvent(raw: string): void {
    let event: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
        throw new Error("not an object");
      event = parsed as Record<string, unknown>;
    } catch {
      return this.error("invalid_json", "The client event is not a JSON object.");
    }
    const id = event.event_id;
    switch (event.type) {
      case "session.update":
        return this.updateSession(event.session, id);
      case "conversation.item.create":
        return this.createItem(event.item, id);
      case "conversation.item.truncate":
        return this.truncate(event, id);
      case "response.create":
        if (this.active)
          return this.error(
            "conversation_already_has_active_response",
            `Conversation already has an active response in progress: ${this.active.id}.`,
            id,
          );
        return void this.respond();
      case "response.cancel":
        if (!this.cancel("client_cancelled", false))
          return this.error("response_cancel_not_active", "There is no active response to cancel.", id);
        return;
      case "input_audio_buffer.commit":
        return this.commitNow(id);
      case "input_audio_buffer.clear":
        this.buffer = [];
        this.utterance = undefined;
        this.endpointer.reset();
        return this.emit({ type: "input_audio_buffer.cleared" });
      case "output_audio_buffer.clear":
        this.cancel("client_cancelled", false);
        this.clearAudio(false);
        return;
      default:
        return this.error(
          typeof event.type === "string" ? "invalid_value" : "missing_required_parameter",
          typeof event.type === "string"
            ? `Invalid value: '${event.type.slice(0, 100)}'. The stub does not handle this client event.`
            : "Missing required parameter: 'type'.",
          id,
          "type",
        );
    }
  }

  private updateSession(update: unknown, clientEventId: unknown): void {
    const problem = checkSession(update);
    if (problem) return this.error(problem.code, problem.message, clientEventId, problem.param);
    const before = JSON.stringify(turnDetection(this.session));
    this.session = mergeSession(this.session, update as Record<string, unknown>);
    if (JSON.stringify(turnDetection(this.session)) !== before) {
      this.endpointer = this.newEndpointer();
      this.utterance = undefined;
      this.buffer = [];
    }
    this.emit({ type: "session.updated", session: this.session });
  }

  private createItem(item: unknown, clientEventId: unknown): void {
    const it = (typeof item === "object" && item !== null ? item : {}) as Record<string, unknown>;
    const id = typeof it.id === "string" && it.id ? it.id : `item_${hex(12)}`;
    if (it.type === "function_call_output") {
      if (typeof it.call_id !== "string" || typeof it.output !== "string")
        return this.error(
          "missing_required_parameter",
          "A function_call_output item needs call_id and output (strings).",
          clientEventId,
          "item",
        );
      if (!this.items.some((i) => i.type === "function_call" && i.call_id === it.call_id))
        return this.error(
          "invalid_value",
          `No function call with call_id '${it.call_id.slice(0, 100)}' in this conversation.`,
          clientEventId,
          "item.call_id",
        );
      return this.addItem({
        id,
        object: "realtime.item",
        type: "function_call_output",
        call_id: it.call_id,
        output: it.output,
        status: "completed",
      });
    }
    const content = Array.isArray(it.content) ? (it.content as Record<string, unknown>[]) : [];
    const text = content.find((c) => c?.type === "input_text" && typeof c.text === "string")?.text;
    if (it.type === "message" && it.role === "user" && typeof text === "string") {
      this.transcripts.set(id, Promise.resolve(text));
      return this.addItem({
        id,
        object: "realtime.item",
        type: "message",
        role: "user",
        status: "completed",
        content: [{ type: "input_text", text }],
      });
    }
    this.error(
      "invalid_value",
      "The stub accepts function_call_output items and user messages with input_text.",
      clientEventId,
      "item.type",
    );
  }

  private addItem(item: Item, done = true): void {
    const previous = this.items.at(-1)?.id ?? null;
    this.items.push(item);
    this.emit({ type: "conversation.item.added", previous_item_id: previous, item });
    if (done) this.emit({ type: "conversation.item.done", previous_item_id: previous, item });
  }

  private truncate(event: Record<string, unknown>, clientEventId: unknown): void {
    const { item_id: itemId, content_index: contentIndex, audio_end_ms: endMs } = event;
    const item = this.items.find((i) => i.id === itemId);
    if (!item || item.type !== "message" || item.role !== "assistant")
      return this.error(
        "item_truncate_invalid_item_id",
        "Only an assistant message item of this conversation can be truncated.",
        clientEventId,
        "item_id",
      );
    if (contentIndex !== 0)
      return this.error("invalid_value", "content_index must be 0.", clientEventId, "content_index");
    const audioMs = this.itemAudioMs.get(item.id) ?? 0;
    if (typeof endMs !== "number" || endMs < 0 || endMs > audioMs)
      return this.error(
        "invalid_value",
        `audio_end_ms must be between 0 and the item's audio length (${Math.round(audioMs)} ms).`,
        clientEventId,
        "audio_end_ms",
      );
    this.itemAudioMs.set(item.id, endMs);
    this.emit({
      type: "conversation.item.truncated",
      item_id: item.id,
      content_index: 0,
      audio_end_ms: endMs,
    });
  }

  // ---- the person's audio -------------------------------------------------------------------

  private newEndpointer(): Endpointer {
    const td = turnDetection(this.session);
    this.endpointerOffsetMs = this.frames * FRAME_MS;
    return new Endpointer({
      threshold: td?.threshold ?? 0.5,
      silenceMs: td?.type === "server_vad" ? (td.silence_duration_ms ?? 500) : 500,
      sensitivity: 1,
    });
  }

  private onAudio(pcm: Int16Array): void {
    if (this.closed) return;
    for (const frame of this.cutter.push(pcm))
      this.chain = this.chain
        .then(() => this.onFrame(frame))
        .catch((err: unknown) => this.log.error({ err }, "realtime stub voice activity detection failed"));
  }

  private async onFrame(frame: Int16Array): Promise<void> {
    if (this.closed) return;
    this.frames++;
    const td = turnDetection(this.session);
    if (!td) {
      this.buffer.push(frame);
      const max = Math.ceil((MAX_BUFFER_MS * 16) / VAD_FRAME);
      if (this.buffer.length > max) this.buffer.splice(0, this.buffer.length - max);
      return;
    }
    const f = new Float32Array(VAD_FRAME);
    for (let i = 0; i < VAD_FRAME; i++) f[i] = frame[i]! / 32_768;
    const p = await (await this.vad).probability(f);
    if (this.closed || !turnDetection(this.session)) return;
    const events = this.endpointer.frame(p);
    for (const e of events) if (e.type === "speech-start") this.onEndpoint(e);
    if (this.utterance) this.utterance.push(frame);
    else {
      this.prefix.push(frame);
      const keep = Math.ceil(((td.prefix_padding_ms ?? 300) * 16) / VAD_FRAME);
      while (this.prefix.length > keep) this.prefix.shift();
    }
    for (const e of events) if (e.type !== "speech-start") this.onEndpoint(e);
  }

  private onEndpoint(e: EndpointEvent): void {
    const atMs = this.endpointerOffsetMs + e.atMs;
    if (e.type === "speech-start") {
      this.utteranceItemId = `item_${hex(12)}`;
      this.utterance = [...this.prefix];
      this.prefix = [];
      this.emit({
        type: "input_audio_buffer.speech_started",
        audio_start_ms: atMs,
        item_id: this.utteranceItemId,
      });
      if (turnDetection(this.session)?.interrupt_response !== false) this.bargeIn();
      this.utteranceStartMs = atMs;
    } else if (e.type === "end" && this.utterance) {
      // Where the speech ended, not where the silence that ended the turn did.
      this.finishUtterance(this.utteranceStartMs + e.speechMs);
    }
  }

  /** Ends the utterance in progress: speech_stopped, then the commit. */
  private finishUtterance(audioEndMs: number): void {
    const audio = this.utterance ?? [];
    this.utterance = undefined;
    const itemId = this.utteranceItemId;
    this.emit({ type: "input_audio_buffer.speech_stopped", audio_end_ms: audioEndMs, item_id: itemId });
    const td = turnDetection(this.session);
    this.commit(audio, itemId, td !== null && td.create_response !== false);
  }

  /** input_audio_buffer.commit: the turn in progress (VAD) or the whole buffer (push-to-talk). */
  private commitNow(clientEventId: unknown): void {
    if (turnDetection(this.session)) {
      if (!this.utterance)
        return this.error(
          "input_audio_buffer_commit_empty",
          "No speech in the input audio buffer to commit.",
          clientEventId,
        );
      this.endpointer.reset();
      return this.finishUtterance(this.frames * FRAME_MS);
    }
    const audio = this.buffer;
    this.buffer = [];
    const ms = (audio.reduce((n, f) => n + f.length, 0) * 1000) / 16_000;
    if (ms < MIN_COMMIT_MS)
      return this.error(
        "input_audio_buffer_commit_empty",
        `Error committing input audio buffer: buffer too small. Expected at least ${MIN_COMMIT_MS}ms of audio, but buffer only has ${Math.round(ms)}ms of audio.`,
        clientEventId,
      );
    this.commit(audio, `item_${hex(12)}`, false);
  }

  private commit(frames: Int16Array[], itemId: string, respond: boolean): void {
    const previous = this.items.at(-1)?.id ?? null;
    this.emit({ type: "input_audio_buffer.committed", previous_item_id: previous, item_id: itemId });
    const item: Item = {
      id: itemId,
      object: "realtime.item",
      type: "message",
      role: "user",
      status: "completed",
      content: [{ type: "input_audio", transcript: null }],
    };
    this.addItem(item, false);
    const pcm = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
    let o = 0;
    for (const f of frames) {
      pcm.set(f, o);
      o += f.length;
    }
    const transcript = this.transcribe(item, pcm);
    this.transcripts.set(itemId, transcript);
    if (respond)
      void transcript.then((text) => {
        // Unknown speech (an echo, a cough) is heard as nothing and not answered.
        if (text && !this.closed && !this.active) void this.respond();
      });
  }

  private async transcribe(item: Item, pcm: Int16Array): Promise<string> {
    let text: string;
    try {
      text = await this.opts.recognizer.transcribe(pcm, this.session.model.startsWith("offline-"));
    } catch (err) {
      this.log.warn({ err }, "realtime stub transcription failed");
      this.emit({
        type: "conversation.item.input_audio_transcription.failed",
        item_id: item.id,
        content_index: 0,
        error: { type: "transcription_error", code: "speech_unavailable", message: (err as Error).message },
      });
      return "";
    }
    for (const word of text.split(/(?<= )/).filter(Boolean))
      this.emit({
        type: "conversation.item.input_audio_transcription.delta",
        item_id: item.id,
        content_index: 0,
        delta: word,
      });
    this.emit({
      type: "conversation.item.input_audio_transcription.completed",
      item_id: item.id,
      content_index: 0,
      transcript: text,
    });
    item.content = [{ type: "input_audio", transcript: text }];
    this.emit({ type: "conversation.item.done", item });
    return text;
  }

  // ---- answers ----------------------------------------------------------------------------

  /** The conversation as chat messages, for script.ts. */
  private async chatMessages(): Promise<{ role: string; content?: unknown; tool_calls?: unknown[] }[]> {
    const out: { role: string; content?: unknown; tool_calls?: unknown[] }[] = [];
    for (const item of this.items) {
      if (item.type === "message" && item.role === "user")
        out.push({ role: "user", content: (await this.transcripts.get(item.id)) ?? "" });
      else if (item.type === "message" && item.role === "assistant")
        out.push({ role: "assistant", content: this.spoken.get(item.id) ?? "" });
      else if (item.type === "function_call")
        out.push({
          role: "assistant",
          tool_calls: [
            { id: item.call_id, type: "function", function: { name: item.name, arguments: item.arguments } },
          ],
        });
      else if (item.type === "function_call_output") out.push({ role: "tool", content: item.output });
    }
    return out;
  }

  private responseObject(active: ActiveResponse, status: string, extra: Record<string, unknown> = {}) {
    return {
      object: "realtime.response",
      id: active.id,
      status,
      status_details: null,
      output: active.output,
      conversation_id: "conv_stub",
      output_modalities: ["audio"],
      max_output_tokens: "inf",
      audio: {
        output: { format: { type: "audio/pcm", rate: 24_000 }, voice: this.session.audio.output.voice },
      },
      usage: null,
      metadata: null,
      ...extra,
    };
  }

  private async respond(): Promise<void> {
    const active: ActiveResponse = { id: `resp_${hex(12)}`, abort: new AbortController(), output: [] };
    this.active = active;
    this.emit({ type: "response.created", response: this.responseObject(active, "in_progress") });
    try {
      const reply = scriptReply(await this.chatMessages(), this.session.model);
      if (active.abort.signal.aborted) return;
      if (reply.kind === "error")
        return this.finish(active, "failed", FAILED_RESPONSE_USAGE, {
          type: "failed",
          error: { type: "server_error", code: "scripted_error", message: reply.message },
        });
      if (reply.kind === "tools") {
        const offered = reply.calls.filter((c) => functionTool(this.session, c.name));
        if (offered.length > 0) return this.callFunctions(active, offered);
        const names = reply.calls.map((c) => c.name).join(", ");
        return await this.speakAnswer(
          active,
          `I would use the ${names} tool, but this session does not offer it.`,
        );
      }
      return await this.speakAnswer(active, reply.chunks.join(""));
    } catch (err) {
      if (active.abort.signal.aborted) return;
      this.log.error({ err }, "realtime stub response failed");
      this.finish(active, "failed", FAILED_RESPONSE_USAGE, {
        type: "failed",
        error: { type: "server_error", code: "server_error", message: "The stub failed to answer." },
      });
    }
  }

  private callFunctions(active: ActiveResponse, calls: { name: string; arguments: string }[]): void {
    for (const [outputIndex, call] of calls.entries()) {
      const callId = `call_${hex(8)}`;
      const item: Item = {
        id: `item_${hex(12)}`,
        object: "realtime.item",
        type: "function_call",
        status: "in_progress",
        call_id: callId,
        name: call.name,
        arguments: "",
      };
      const ids = { response_id: active.id, item_id: item.id, output_index: outputIndex };
      this.emit({
        type: "response.output_item.added",
        response_id: active.id,
        output_index: outputIndex,
        item,
      });
      this.addItem(item, false);
      this.emit({
        type: "response.function_call_arguments.delta",
        ...ids,
        call_id: callId,
        delta: call.arguments,
      });
      this.emit({
        type: "response.function_call_arguments.done",
        ...ids,
        call_id: callId,
        name: call.name,
        arguments: call.arguments,
      });
      Object.assign(item, { status: "completed", arguments: call.arguments });
      this.emit({
        type: "response.output_item.done",
        response_id: active.id,
        output_index: outputIndex,
        item,
      });
      this.emit({ type: "conversation.item.done", item });
      active.output.push(item);
    }
    this.finish(active, "completed", FUNCTION_CALL_RESPONSE_USAGE);
  }

  private async speakAnswer(active: ActiveResponse, text: string): Promise<void> {
    const { signal } = active.abort;
    const item: Item = {
      id: `item_${hex(12)}`,
      object: "realtime.item",
      type: "message",
      role: "assistant",
      status: "in_progress",
      content: [],
    };
    const ids = { response_id: active.id, item_id: item.id, output_index: 0, content_index: 0 };
    this.emit({ type: "response.output_item.added", response_id: active.id, output_index: 0, item });
    this.addItem(item, false);
    active.output.push(item);
    this.emit({ type: "response.content_part.added", ...ids, part: { type: "audio", transcript: "" } });
    const chunker = new SpeechChunker();
    const sentences = [...chunker.push(text), ...chunker.flush()];
    const { voice, speed } = this.session.audio.output;
    let transcript = "";
    const playback = this.startPlayback(active.id, item.id);
    for (const [i, sentence] of sentences.entries()) {
      if (i > 0) await this.untilQueuedBelow(LOOKAHEAD_MS, signal);
      if (signal.aborted) return;
      const wav = parseWav(await speak(sentence, voice, speed, 24_000));
      if (signal.aborted || this.playback !== playback) return;
      if (!wav) throw new Error("espeak-ng gave no audio");
      if (!playback.started) {
        playback.started = true;
        playback.startQueuedMs = this.peer.queuedMs();
        this.emit({ type: "output_audio_buffer.started", response_id: active.id });
      }
      this.peer.play(wav.samples);
      this.itemAudioMs.set(item.id, this.peer.queuedMs() - playback.startQueuedMs);
      const delta = i === 0 ? sentence : ` ${sentence}`;
      transcript += delta;
      this.spoken.set(item.id, transcript);
      this.emit({ type: "response.output_audio_transcript.delta", ...ids, delta });
    }
    this.emit({ type: "response.output_audio.done", ...ids });
    this.emit({ type: "response.output_audio_transcript.done", ...ids, transcript });
    this.emit({ type: "response.content_part.done", ...ids, part: { type: "audio", transcript } });
    const playedOut = new Promise<void>((resolve) => (playback.finished = resolve));
    playback.generating = false;
    await playedOut;
    if (signal.aborted) return;
    Object.assign(item, { status: "completed", content: [{ type: "output_audio", transcript }] });
    this.emit({ type: "response.output_item.done", response_id: active.id, output_index: 0, item });
    this.emit({ type: "conversation.item.done", item });
    this.finish(active, "completed", AUDIO_RESPONSE_USAGE);
  }

  private finish(active: ActiveResponse, status: string, usage: object, details: object | null = null): void {
    if (this.active === active) this.active = undefined;
    this.emit({
      type: "response.done",
      response: this.responseObject(active, status, { status_details: details, usage }),
    });
  }

  /** Stops the active response; false when there is none. */
  private cancel(reason: "turn_detected" | "client_cancelled", clearAudio: boolean): boolean {
    const active = this.active;
    if (!active) return false;
    active.abort.abort();
    this.active = undefined;
    if (clearAudio) this.clearAudio(true);
    else if (this.playback?.responseId === active.id) this.playback.generating = false;
    for (const item of active.output) if (item.status === "in_progress") item.status = "incomplete";
    this.finish(active, "cancelled", AUDIO_RESPONSE_USAGE, { type: "cancelled", reason });
    return true;
  }

  /** Speech while the agent talks: the audio stops at once, the item is cut where it was, the answer cancelled. */
  private bargeIn(): void {
    if (this.active) this.cancel("turn_detected", true);
    else if (this.playback) this.clearAudio(true);
  }

  /** Drops the audio not yet sent: output_audio_buffer.cleared (and the item truncated when `truncate`). */
  private clearAudio(truncate: boolean): void {
    const playback = this.playback;
    if (!playback) return;
    this.peer.takeBack();
    this.playback = undefined;
    playback.finished();
    if (!playback.started) return;
    // The item's audio is now what was sent: a later truncate cannot go past it.
    const audioEndMs = Math.max(0, Math.round(this.peer.sentMs() - playback.startQueuedMs));
    this.itemAudioMs.set(playback.itemId, audioEndMs);
    this.emit({ type: "output_audio_buffer.cleared", response_id: playback.responseId });
    if (!truncate) return;
    this.emit({
      type: "conversation.item.truncated",
      item_id: playback.itemId,
      content_index: 0,
      audio_end_ms: audioEndMs,
    });
  }

  private startPlayback(responseId: string, itemId: string): Playback {
    // A previous answer still playing (cancelled by response.cancel) is cut off by the new one.
    if (this.playback) this.clearAudio(false);
    this.playback = {
      responseId,
      itemId,
      startQueuedMs: this.peer.queuedMs(),
      started: false,
      generating: true,
      finished: () => undefined,
    };
    return this.playback;
  }

  /** Every 20 ms: an answer whose audio has all been sent has stopped playing. */
  private watchPlayback(): void {
    const playback = this.playback;
    if (!playback || playback.generating || this.peer.queuedMs() > this.peer.sentMs()) return;
    this.playback = undefined;
    if (playback.started)
      this.emit({ type: "output_audio_buffer.stopped", response_id: playback.responseId });
    playback.finished();
  }

  private async untilQueuedBelow(ms: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !this.closed && this.peer.queuedMs() - this.peer.sentMs() >= ms)
      await new Promise((r) => setTimeout(r, 20));
  }
}
