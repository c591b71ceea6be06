// MediaPeer over WebRTC with werift (pure TypeScript): the browser's Opus RTP is reordered in a small
// jitter buffer and decoded at 16 kHz; the agent's audio is Opus-encoded in 20 ms frames and sent on
// a steady clock (silence frames between answers, so the browser's playout never starves or jumps).
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket, RTCRtpCodecParameters } from "werift";
import { INPUT_RATE, OUTPUT_FRAME_MS, OUTPUT_RATE, type MediaPeer, type PeerState } from "./media-peer";
import { isLoopbackHost, onlyLoopbackCandidates, type WeriftPeerOptions } from "./webrtc-options";
import { PcmQueue } from "./pcm-queue";
import { voiceMetrics } from "./metrics";
import { OpusDecoder, OpusEncoder } from "./opus-codec";

const FRAME_SAMPLES = (OUTPUT_RATE * OUTPUT_FRAME_MS) / 1000;
const RTP_TICKS_PER_FRAME = 960; // Opus RTP runs a 48 kHz clock whatever the coded rate
/** How far ahead of real time frames may be sent (the browser's jitter buffer absorbs it). */
const LEAD_MS = 20;
/** Packets held to put late ones back in order. */
const REORDER_DEPTH = 3;
/**
 * No packet from the person for this long: the media is lost. A browser sends packets while the
 * call lasts, muted or not (silence, or with DTX one every 400 ms), so an utterance cut off by a
 * lost connection is never taken for a finished one: it is dropped, and the call ends.
 */
const MEDIA_LOST_MS = 5_000;
/** A longer jump in the person's RTP timestamps is a new stream, not a pause to fill (5 s). */
const MAX_GAP_TICKS = 5 * 48_000;
/** Frames of agent audio remembered to map the page's played RTP timestamp back (10 s). */
const PLAYED_WINDOW = 500;
/**
 * Opus encoder complexity (0–10; libopus defaults to 10). 5 is what libwebrtc uses on mobile: measured
 * here at 24 kHz, 0.37 ms per 20 ms frame against 0.74 ms at 10, for the same bitrate: the agent's
 * speech is the second largest CPU cost of a call.
 */
export const OPUS_COMPLEXITY = 5;

export class WeriftPeer implements MediaPeer {
  private readonly pc: RTCPeerConnection;
  private readonly out = new MediaStreamTrack({ kind: "audio" });
  // Closed with the peer (close()): their native memory serves the next call's (opus-codec.ts).
  private readonly encoder = new OpusEncoder(OUTPUT_RATE, { complexity: OPUS_COMPLEXITY });
  private readonly decoder = new OpusDecoder(INPUT_RATE);
  private readonly silence: Buffer;
  private audioListeners: ((pcm: Int16Array) => void)[] = [];
  private stateListeners: ((s: PeerState) => void)[] = [];
  private readonly queue = new PcmQueue();
  private queuedSamples = 0;
  private sentSamples = 0;
  private seq = Math.floor(Math.random() * 65_536);
  private ts = Math.floor(Math.random() * 2 ** 31);
  private framesSent = 0;
  private clockStart = 0;
  private timer: NodeJS.Timeout | undefined;
  private talking = false;
  private lastSeq: number | undefined;
  private held = new Map<number, RtpPacket>();
  /** The RTP timestamp the next packet should carry: a later one means the sender paused (DTX). */
  private nextTs: number | undefined;
  private lastPacketAt = 0;
  /** When audio was queued at an idle peer, until its first frame is sent (the send stage). */
  private idleQueuedAt: number | undefined;
  /** RTP timestamp and audio sent up to the end of each recent frame carrying audio, oldest first. */
  private readonly recentFrames: { ts: number; sentSamples: number }[] = [];
  private closed = false;
  private readonly loopbackOnly: boolean;

  constructor(opts: WeriftPeerOptions = {}) {
    this.pc = new RTCPeerConnection({
      codecs: {
        audio: [new RTCRtpCodecParameters({ mimeType: "audio/opus", clockRate: 48_000, channels: 2 })],
        video: [],
      },
      ...(opts.host
        ? { iceUseIpv4: false, iceUseIpv6: false, iceAdditionalHostAddresses: [opts.host] }
        : { iceAdditionalHostAddresses: ["127.0.0.1"] }),
      ...(opts.portRange ? { icePortRange: opts.portRange } : {}),
    });
    this.loopbackOnly = isLoopbackHost(opts.host);
    this.silence = this.encoder.encode(new Int16Array(FRAME_SAMPLES));
    const transceiver = this.pc.addTransceiver(this.out, { direction: "sendrecv" });
    transceiver.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => this.receive(rtp));
    });
    this.pc.connectionStateChange.subscribe((state) => {
      if (state === "connected") this.startClock();
      const mapped: PeerState | undefined =
        state === "connected"
          ? "connected"
          : state === "failed"
            ? "failed"
            : state === "closed"
              ? "closed"
              : undefined;
      if (mapped) for (const l of this.stateListeners) l(mapped);
    });
  }

  /** Answers the browser's complete offer (ICE candidates gathered, no trickle) with a complete answer. */
  async answer(offerSdp: string): Promise<string> {
    const sdp = this.loopbackOnly ? onlyLoopbackCandidates(offerSdp) : offerSdp;
    await this.pc.setRemoteDescription({ type: "offer", sdp });
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    if (this.pc.iceGatheringState !== "complete")
      await new Promise<void>((resolve) => {
        const { unSubscribe } = this.pc.iceGatheringStateChange.subscribe((s) => {
          if (s === "complete") {
            unSubscribe();
            resolve();
          }
        });
      });
    return this.pc.localDescription!.sdp;
  }

  onAudio(listener: (pcm: Int16Array) => void): void {
    this.audioListeners.push(listener);
  }

  onState(listener: (state: PeerState) => void): void {
    this.stateListeners.push(listener);
  }

  play(pcm: Int16Array): void {
    if (this.queue.empty) this.idleQueuedAt ??= performance.now();
    this.queue.push(pcm);
    this.queuedSamples += pcm.length;
  }

  takeBack(): Int16Array[] {
    this.queuedSamples = this.sentSamples;
    this.idleQueuedAt = undefined;
    return this.queue.drain();
  }

  queuedMs(): number {
    return (this.queuedSamples * 1000) / OUTPUT_RATE;
  }

  sentMs(): number {
    return (this.sentSamples * 1000) / OUTPUT_RATE;
  }

  playedMsAt(rtpTimestamp: number): number | undefined {
    // Newest first: the last frame carrying audio at or before the reported one (RTP wraps at 2^32).
    for (let i = this.recentFrames.length - 1; i >= 0; i--) {
      const f = this.recentFrames[i]!;
      if (((rtpTimestamp - f.ts) | 0) >= 0) return (f.sentSamples * 1000) / OUTPUT_RATE;
    }
    return undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.encoder.close();
    this.decoder.close();
    void this.pc.close().catch(() => undefined);
  }

  private receive(rtp: RtpPacket): void {
    this.lastPacketAt = performance.now();
    const seq = rtp.header.sequenceNumber;
    if (this.lastSeq !== undefined && ((seq - this.lastSeq) & 0xffff) > 0x8000) return; // late or repeated
    this.held.set(seq, rtp);
    for (;;) {
      const next = this.lastSeq === undefined ? seq : (this.lastSeq + 1) & 0xffff;
      const packet = this.held.get(next);
      if (packet) {
        this.held.delete(next);
        this.lastSeq = next;
        this.decode(packet);
        continue;
      }
      if (this.held.size <= REORDER_DEPTH) break;
      // A packet is lost: go on with the oldest one held.
      this.lastSeq = next;
    }
  }

  private decode(packet: RtpPacket): void {
    const { payload } = packet;
    if (this.closed || payload.length === 0) return;
    let samples: Int16Array;
    try {
      samples = this.decoder.decode(payload);
    } catch {
      return; // not Opus, or damaged: the packet is lost, as any lost packet
    }
    // A sender in discontinuous transmission (silence) sends a packet now and then; the time between
    // is silence, and the endpointer must hear it as such or a turn never ends.
    const ts = packet.header.timestamp;
    const gap = this.nextTs === undefined ? 0 : (ts - this.nextTs) | 0;
    if (gap > 0 && gap <= MAX_GAP_TICKS) {
      const silence = new Int16Array(Math.round((gap * INPUT_RATE) / 48_000));
      for (const l of this.audioListeners) l(silence);
    }
    this.nextTs = (ts + (samples.length * 48_000) / INPUT_RATE) >>> 0;
    for (const l of this.audioListeners) l(samples);
  }

  /** On the output clock: no packet from the person for MEDIA_LOST_MS means the media is lost. */
  private watchInput(now: number): void {
    if (this.nextTs === undefined || now - this.lastPacketAt <= MEDIA_LOST_MS) return;
    this.nextTs = undefined;
    for (const l of this.stateListeners) l("failed");
  }

  private startClock(): void {
    if (this.timer || this.closed) return;
    this.clockStart = performance.now();
    // Woken when the next frame is due (not polled): audio queued at an idle peer leaves on the next
    // frame's time, with half the timer wake-ups of a 10 ms poll.
    const tick = () => {
      if (this.closed) return;
      const now = performance.now();
      const due = Math.floor((now - this.clockStart + LEAD_MS) / OUTPUT_FRAME_MS);
      while (this.framesSent < due) this.sendFrame();
      this.watchInput(now);
      const next = this.clockStart + (this.framesSent + 1) * OUTPUT_FRAME_MS - LEAD_MS;
      this.timer = setTimeout(tick, Math.max(1, next - performance.now()));
    };
    tick();
  }

  private sendFrame(): void {
    const frame = this.takeFrame();
    const payload = frame ? this.encoder.encode(frame) : this.silence;
    const marker = Boolean(frame) && !this.talking;
    this.talking = Boolean(frame);
    const header = new RtpHeader({ payloadType: 111, sequenceNumber: this.seq, timestamp: this.ts, marker });
    this.out.writeRtp(new RtpPacket(header, payload));
    if (frame) {
      this.recentFrames.push({ ts: this.ts, sentSamples: this.sentSamples });
      if (this.recentFrames.length > PLAYED_WINDOW) this.recentFrames.shift();
    }
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + RTP_TICKS_PER_FRAME) >>> 0;
    this.framesSent++;
  }

  /** The next 20 ms of queued audio (zero-padded at the end), or undefined when nothing is queued. */
  private takeFrame(): Int16Array | undefined {
    const next = this.queue.take(FRAME_SAMPLES);
    if (!next) return undefined;
    if (this.idleQueuedAt !== undefined) {
      voiceMetrics().stage("send", (performance.now() - this.idleQueuedAt) / 1000);
      this.idleQueuedAt = undefined;
    }
    this.sentSamples += next.filled;
    return next.samples;
  }
}
