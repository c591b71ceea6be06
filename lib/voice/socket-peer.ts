// MediaPeer over the signalling socket, for when WebRTC cannot connect (a firewall blocks UDP): the
// page sends 16 kHz PCM in small chunks and plays the agent's 24 kHz PCM as it comes. There is no
// echo cancellation on this path, so the page mutes its microphone while the agent speaks
// (half-duplex) and says so.
import { OUTPUT_RATE, type MediaPeer, type PeerState } from "./media-peer";
import { PcmQueue } from "./pcm-queue";

/** Audio is sent this far ahead of real time (the page buffers it). */
const LEAD_MS = 200;
const CHUNK_MS = 40;
const CHUNK_SAMPLES = (OUTPUT_RATE * CHUNK_MS) / 1000;

export class SocketPeer implements MediaPeer {
  private audioListeners: ((pcm: Int16Array) => void)[] = [];
  private readonly queue = new PcmQueue();
  private queuedSamples = 0;
  private sentSamples = 0;
  /** Wall-clock time (ms) until which audio already sent will play at the page. */
  private playingUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  /** `send` delivers a chunk of agent audio (or `null`: drop what you have queued) to the page. */
  constructor(private readonly send: (pcm: Int16Array | null) => void) {
    const tick = () => {
      if (this.closed) return;
      this.pump();
      this.timer = setTimeout(tick, CHUNK_MS / 2);
    };
    tick();
  }

  /** A chunk of the person's audio from the page (16 kHz mono). */
  receive(pcm: Int16Array): void {
    if (!this.closed) for (const l of this.audioListeners) l(pcm);
  }

  onAudio(listener: (pcm: Int16Array) => void): void {
    this.audioListeners.push(listener);
  }

  onState(listener: (state: PeerState) => void): void {
    queueMicrotask(() => listener("connected"));
  }

  play(pcm: Int16Array): void {
    this.queue.push(pcm);
    this.queuedSamples += pcm.length;
  }

  takeBack(): Int16Array[] {
    const rest = this.queue.drain();
    this.queuedSamples = this.sentSamples;
    // What the page has buffered is dropped there.
    if (this.playingUntil > performance.now()) this.send(null);
    this.playingUntil = 0;
    return rest;
  }

  queuedMs(): number {
    return (this.queuedSamples * 1000) / OUTPUT_RATE;
  }

  sentMs(): number {
    return (this.sentSamples * 1000) / OUTPUT_RATE;
  }

  /** No RTP here: the page drops what it buffered when the agent is paused, so the estimate holds. */
  playedMsAt(): undefined {
    return undefined;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private pump(): void {
    const now = performance.now();
    if (this.playingUntil < now) this.playingUntil = now;
    while (!this.queue.empty && this.playingUntil - now < LEAD_MS) {
      const { samples, filled } = this.queue.take(CHUNK_SAMPLES)!;
      this.sentSamples += filled;
      this.playingUntil += (filled * 1000) / OUTPUT_RATE;
      this.send(samples.subarray(0, filled));
    }
  }
}
