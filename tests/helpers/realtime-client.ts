// A client of the OpenAI Realtime API over WebRTC, for tests against the stub provider (or a
// gateway that speaks the same contract): a werift peer that posts its offer to
// /v1/realtime/calls, sends a steady 20 ms Opus stream (speech when asked, silence otherwise) and
// records the loudness of what it hears; and a `ws` sideband that records every server event.
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RtpHeader,
  RtpPacket,
  RTCRtpCodecParameters,
  type RTCDataChannel,
} from "werift";
import WebSocket from "ws";
import { PcmQueue } from "@/lib/voice/pcm-queue";
import { OpusDecoder, OpusEncoder } from "@/lib/voice/opus-codec";

const RATE = 24_000;
const FRAME = 480; // 20 ms at 24 kHz

export interface Heard {
  at: number;
  rms: number;
}

export type ServerEvent = Record<string, unknown> & { type: string; event_id: string };

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A complete offer (ICE gathered) from a fresh werift peer, for tests that only need the SDP. */
export async function offerSdp(pc: RTCPeerConnection): Promise<string> {
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== "complete")
    await new Promise<void>((r) => pc.iceGatheringStateChange.subscribe((s) => s === "complete" && r()));
  return pc.localDescription!.sdp;
}

export function newPeer(): { pc: RTCPeerConnection; track: MediaStreamTrack } {
  const pc = new RTCPeerConnection({
    codecs: {
      audio: [new RTCRtpCodecParameters({ mimeType: "audio/opus", clockRate: 48_000, channels: 2 })],
      video: [],
    },
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ["127.0.0.1"],
  });
  const track = new MediaStreamTrack({ kind: "audio" });
  return { pc, track };
}

/** The media side of a realtime call. */
export class RealtimeMediaClient {
  readonly heard: Heard[] = [];
  callId = "";
  location = "";
  private readonly pc: RTCPeerConnection;
  private readonly track: MediaStreamTrack;
  private enc = new OpusEncoder(RATE);
  private dec = new OpusDecoder(RATE);
  private readonly queue = new PcmQueue();
  private queuedSamples = 0;
  private sentSamples = 0;
  private timer: NodeJS.Timeout | undefined;
  private seq = 1000;
  private ts = 5000;

  /** Events received on the "oai-events" data channel, when the client opened one. */
  readonly channelEvents: ServerEvent[] = [];
  private readonly channel: RTCDataChannel | undefined;

  /** `dataChannel`: offer an "oai-events" channel, as a browser holding a client secret may. */
  constructor(opts: { dataChannel?: boolean } = {}) {
    ({ pc: this.pc, track: this.track } = newPeer());
    if (opts.dataChannel) {
      this.channel = this.pc.createDataChannel("oai-events");
      this.channel.onMessage.subscribe((data) =>
        this.channelEvents.push(
          JSON.parse(typeof data === "string" ? data : data.toString("utf8")) as ServerEvent,
        ),
      );
    }
    const t = this.pc.addTransceiver(this.track, { direction: "sendrecv" });
    t.onTrack.subscribe((track) =>
      track.onReceiveRtp.subscribe((rtp) => {
        const s = this.dec.decode(rtp.payload);
        let sum = 0;
        for (const v of s) sum += v * v;
        this.heard.push({ at: performance.now(), rms: Math.sqrt(sum / Math.max(1, s.length)) });
      }),
    );
  }

  /** Posts the offer (multipart `sdp` + `session`), applies the answer, waits for media. */
  async connect(baseUrl: string, key: string, session?: Record<string, unknown>): Promise<void> {
    const form = new FormData();
    form.set("sdp", await offerSdp(this.pc));
    if (session) form.set("session", JSON.stringify(session));
    const res = await fetch(`${baseUrl}/realtime/calls`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}` },
      body: form,
    });
    if (res.status !== 201) throw new Error(`calls answered ${res.status}: ${await res.text()}`);
    this.location = res.headers.get("location") ?? "";
    this.callId = this.location.split("/").at(-1) ?? "";
    await this.pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
    await until(() => this.pc.connectionState === "connected", 15_000, "media to connect");
    this.pump();
  }

  /** Sends a client event over the data channel (once it is open). */
  async sendEvent(event: Record<string, unknown>): Promise<void> {
    const ch = this.channel;
    if (!ch) throw new Error("this client has no data channel");
    await until(() => ch.readyState === "open", 10_000, "the data channel to open");
    ch.send(JSON.stringify(event));
  }

  /** Queues speech (24 kHz mono) after what is queued; returns when it will have been sent. */
  say(pcm: Int16Array): number {
    const queued = this.queuedSamples - this.sentSamples;
    this.queue.push(pcm);
    this.queuedSamples += pcm.length;
    return performance.now() + ((queued + pcm.length) / RATE) * 1000;
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

  async close(): Promise<void> {
    clearTimeout(this.timer);
    await this.pc.close().catch(() => undefined); // closing a peer that failed has nothing to report
    this.enc.close();
    this.dec.close();
  }

  private pump(): void {
    const start = performance.now();
    let sent = 0;
    const silence = this.enc.encode(new Int16Array(FRAME));
    const tick = () => {
      const due = Math.floor((performance.now() - start) / 20);
      while (sent < due) {
        const next = this.queue.take(FRAME);
        if (next) this.sentSamples += next.filled;
        const payload = next ? this.enc.encode(next.samples) : silence;
        this.track.writeRtp(
          new RtpPacket(
            new RtpHeader({ payloadType: 111, sequenceNumber: this.seq, timestamp: this.ts }),
            payload,
          ),
        );
        this.seq = (this.seq + 1) & 0xffff;
        this.ts = (this.ts + 960) >>> 0;
        sent++;
      }
      this.timer = setTimeout(tick, 10);
    };
    tick();
  }
}

/** The sideband WebSocket of a call: every server event, in order, with its arrival time. */
export class RealtimeSideband {
  readonly events: (ServerEvent & { at: number })[] = [];
  closed: { code: number; reason: string } | undefined;
  private readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on("message", (data) => {
      const event = JSON.parse((data as Buffer).toString("utf8")) as ServerEvent;
      this.events.push({ ...event, at: performance.now() });
    });
    ws.on("close", (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  /** Connects to `${baseUrl}/realtime?call_id=…` (an http(s) base URL, as the OpenAI client's). */
  static connect(baseUrl: string, key: string, callId: string): Promise<RealtimeSideband> {
    const url = `${baseUrl.replace(/^http/, "ws")}/realtime?call_id=${encodeURIComponent(callId)}`;
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${key}` } });
    const sideband = new RealtimeSideband(ws);
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(sideband));
      ws.once("unexpected-response", (_req, res) => reject(new Error(`sideband refused: ${res.statusCode}`)));
      ws.once("error", reject);
    });
  }

  send(event: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(event));
  }

  of(type: string): (ServerEvent & { at: number })[] {
    return this.events.filter((e) => e.type === type);
  }

  /** The first event of `type` (matching `where`) after index `from`, waiting for it. */
  async next(
    type: string,
    opts: { from?: number; where?: (e: ServerEvent) => boolean; timeoutMs?: number } = {},
  ): Promise<ServerEvent & { at: number }> {
    const find = () =>
      this.events.slice(opts.from ?? 0).find((e) => e.type === type && (!opts.where || opts.where(e)));
    await until(() => find() !== undefined, opts.timeoutMs ?? 20_000, type);
    return find()!;
  }

  close(): void {
    this.ws.close();
  }
}
