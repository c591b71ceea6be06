// A voice-call client in Node for tests and the latency bench: a werift WebRTC peer that sends a
// steady 20 ms Opus stream (speech from a WAV when asked, silence otherwise, as a browser does) and
// decodes what the gateway sends back, with arrival times on this process's clock.
import { io, type Socket } from "socket.io-client";
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket, RTCRtpCodecParameters } from "werift";
import type { Ack } from "@/lib/realtime/events";
import { PcmQueue } from "@/lib/voice/pcm-queue";
import type { StartReply, VoiceClientEvents, VoiceServerEvents } from "@/lib/voice/signalling";
import { OpusDecoder, OpusEncoder } from "@/lib/voice/opus-codec";

const RATE = 24_000;
const FRAME = 480; // 20 ms at 24 kHz

export interface Heard {
  at: number;
  rms: number;
  /** The packet's RTP timestamp (48 kHz clock). */
  ts: number;
}

/** A gateway's environment for calls on loopback with the stub provider's speech (hands-free). */
export function voiceEnv(stubUrl: string): Record<string, string> {
  const env: Record<string, string> = { SOMA_WEBRTC_HOST: "127.0.0.1", SOMA_SPEECH_INPUT: "hands-free" };
  for (const role of ["STT", "TTS"]) {
    env[`SOMA_SPEECH_${role}_PROVIDER`] = "stub";
    env[`SOMA_SPEECH_${role}_MODEL`] = `stub-${role.toLowerCase()}`;
    env[`SOMA_SPEECH_${role}_BASE_URL`] = stubUrl;
  }
  return env;
}

export class VoiceTestClient {
  readonly socket: Socket<VoiceServerEvents, VoiceClientEvents>;
  readonly states: { state: string; at: number }[] = [];
  /** Final captions, both sides. */
  readonly captions: { role: string; text: string }[] = [];
  /** The person's words so far, while they were being recognised. */
  readonly partials: string[] = [];
  readonly problems: { code: string; message: string }[] = [];
  ended: { reason: string; message: string } | undefined;
  /** One entry per 20 ms packet received, with its loudness. */
  readonly heard: Heard[] = [];
  callId = "";
  private pc: RTCPeerConnection | undefined;
  private track = new MediaStreamTrack({ kind: "audio" });
  private enc = new OpusEncoder(RATE);
  private dec = new OpusDecoder(RATE);
  private readonly queue = new PcmQueue();
  private queuedSamples = 0;
  private sentSamples = 0;
  private timer: NodeJS.Timeout | undefined;
  private seq = 1000;
  private ts = 5000;
  /** When the last queued speech sample will have been sent (this clock). */
  speechEndsAt = 0;
  /**
   * Per `say`, when its first sample was expected to leave (as `say` computed it) and when the packet
   * carrying it was written: a late event loop here delays the speech the gateway hears.
   */
  readonly sent: { expected: number; actual: number }[] = [];
  private starts: { sample: number; expected: number }[] = [];

  constructor(base: string, token: string) {
    this.socket = io(`${base}/voice`, { auth: { token }, transports: ["websocket"], reconnection: false });
    this.socket.on("voice.state", (e) => this.states.push({ state: e.state, at: performance.now() }));
    this.socket.on("voice.caption", (e) =>
      e.partial ? this.partials.push(e.text) : this.captions.push({ role: e.role, text: e.text }),
    );
    this.socket.on("voice.error", (e) => this.problems.push(e));
    this.socket.on("voice.ended", (e) => (this.ended = e));
  }

  call<T>(
    event: keyof VoiceClientEvents,
    payload: unknown,
  ): Promise<{ ok: true; data: T } | { ok: false; error: { code: string; message: string } }> {
    return new Promise((resolve) =>
      (this.socket.emit as (e: string, p: unknown, a: Ack<T>) => void)(event, payload, resolve),
    );
  }

  /** voice.start, then the offer and answer; resolves once media flows. */
  async start(
    sessionId: string,
    opts: { takeOver?: boolean; mode?: "cascaded" | "realtime" } = {},
  ): Promise<StartReply> {
    const started = await this.call<StartReply>("voice.start", { sessionId, ...opts });
    if (!started.ok) throw Object.assign(new Error(started.error.message), { code: started.error.code });
    this.callId = started.data.callId;
    const pc = new RTCPeerConnection({
      codecs: {
        audio: [new RTCRtpCodecParameters({ mimeType: "audio/opus", clockRate: 48_000, channels: 2 })],
        video: [],
      },
      iceUseIpv4: false,
      iceUseIpv6: false,
      iceAdditionalHostAddresses: ["127.0.0.1"],
    });
    this.pc = pc;
    const t = pc.addTransceiver(this.track, { direction: "sendrecv" });
    t.onTrack.subscribe((track) =>
      track.onReceiveRtp.subscribe((rtp) => {
        const s = this.dec.decode(rtp.payload);
        let sum = 0;
        for (const v of s) sum += v * v;
        this.heard.push({
          at: performance.now(),
          rms: Math.sqrt(sum / Math.max(1, s.length)),
          ts: rtp.header.timestamp,
        });
      }),
    );
    await pc.setLocalDescription(await pc.createOffer());
    if (pc.iceGatheringState !== "complete")
      await new Promise<void>((r) => pc.iceGatheringStateChange.subscribe((s) => s === "complete" && r()));
    const answered = await this.call<{ sdp: string }>("voice.offer", {
      callId: this.callId,
      sdp: pc.localDescription!.sdp,
    });
    if (!answered.ok) throw new Error(answered.error.message);
    await pc.setRemoteDescription({ type: "answer", sdp: answered.data.sdp });
    await new Promise<void>((resolve, reject) => {
      if (pc.connectionState === "connected") return resolve();
      const to = setTimeout(() => reject(new Error("media did not connect")), 10_000);
      pc.connectionStateChange.subscribe((s) => {
        if (s === "connected") {
          clearTimeout(to);
          resolve();
        }
      });
    });
    // As the page does: the gateway cannot see a realtime call's media connect.
    this.socket.emit("voice.connected", { callId: this.callId });
    this.pump();
    return started.data;
  }

  /** Queues speech (24 kHz mono) after what is queued; returns when it will have been sent. */
  say(pcm: Int16Array): number {
    const queued = this.queuedSamples - this.sentSamples;
    this.starts.push({ sample: this.queuedSamples, expected: performance.now() + (queued / RATE) * 1000 });
    this.queue.push(pcm);
    this.queuedSamples += pcm.length;
    this.speechEndsAt = performance.now() + ((queued + pcm.length) / RATE) * 1000;
    return this.speechEndsAt;
  }

  /** The first loud packet after `since` (RMS above `floor`), or undefined. */
  firstAudioAfter(since: number, floor = 300): Heard | undefined {
    return this.heard.find((h) => h.at >= since && h.rms > floor);
  }

  /** The first packet of the first quiet run of `packets` packets after `since`. */
  silenceAfter(since: number, packets = 5, floor = 100): Heard | undefined {
    let run: Heard[] = [];
    for (const h of this.heard) {
      if (h.at < since) continue;
      run = h.rms <= floor ? [...run, h] : [];
      if (run.length >= packets) return run[0];
    }
    return undefined;
  }

  async waitFor(check: () => boolean, timeoutMs = 15_000, what = "condition"): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Drops the signalling socket (the media keeps flowing), reconnects after `ms` and resumes. */
  async dropSignalling(ms: number): Promise<{ ok: boolean }> {
    this.socket.disconnect();
    await new Promise((r) => setTimeout(r, ms));
    this.socket.connect();
    await new Promise<void>((r) => this.socket.once("connect", () => r()));
    return this.call("voice.resume", { callId: this.callId });
  }

  /** The media stops (a network gone, a laptop lid shut): no more packets, nothing closed. */
  loseMedia(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Reports, as a page does, the RTP timestamp of the last agent audio played. */
  played(rtpTimestamp: number): void {
    this.socket.emit("voice.played", { callId: this.callId, rtpTimestamp });
  }

  /** Hangs up and waits for the server to say the call ended. */
  async hangup(): Promise<void> {
    const r = await this.call<null>("voice.hangup", { callId: this.callId });
    if (!r.ok) throw new Error(r.error.message);
    await this.waitFor(() => this.ended !== undefined, 5_000, "the call to end");
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.socket.disconnect();
    await this.pc?.close().catch(() => undefined);
    this.enc.close();
    this.dec.close();
  }

  private pump(): void {
    const start = performance.now();
    let sent = 0;
    // Between phrases, one silent packet encoded once (as the gateway does): ten clients in one
    // process would otherwise spend a core encoding silence.
    const silence = this.enc.encode(new Int16Array(FRAME));
    const tick = () => {
      const due = Math.floor((performance.now() - start) / 20);
      while (sent < due) {
        const frame = this.take();
        const payload = frame ? this.enc.encode(frame) : silence;
        this.track.writeRtp(
          new RtpPacket(
            new RtpHeader({ payloadType: 111, sequenceNumber: this.seq, timestamp: this.ts }),
            payload,
          ),
        );
        while (this.starts[0] && this.sentSamples > this.starts[0].sample)
          this.sent.push({ expected: this.starts.shift()!.expected, actual: performance.now() });
        this.seq = (this.seq + 1) & 0xffff;
        this.ts = (this.ts + 960) >>> 0;
        sent++;
      }
      this.timer = setTimeout(tick, 10);
    };
    tick();
  }

  private take(): Int16Array | undefined {
    const next = this.queue.take(FRAME);
    if (next) this.sentSamples += next.filled;
    return next?.samples;
  }
}
