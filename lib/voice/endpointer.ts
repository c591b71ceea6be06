// Turn-taking from voice-activity probabilities, one 32 ms frame at a time (no clock of its own, so
// it is exact in tests): speech starts after a short run of speech frames (the barge-in onset), the
// transcript may be started speculatively after a short silence, and the turn ends after
// `silenceMs` of silence. Hysteresis: speech continues down to `threshold - 0.15`.

export const FRAME_MS = 32;
/** Silence after which transcription starts early; dropped if speech resumes. */
export const SPECULATE_MS = 200;

export interface EndpointerOptions {
  /** Speech probability at which a frame counts as speech (settings `turnDetection.threshold`). */
  threshold: number;
  /** Silence that ends the turn. */
  silenceMs: number;
  /** Barge-in sensitivity 0–1: 1 confirms speech after 64 ms, 0 after 96 ms. */
  sensitivity: number;
}

export type EndpointEvent =
  | { type: "speech-start"; atMs: number }
  | { type: "speculate"; atMs: number }
  | { type: "resume"; atMs: number }
  | { type: "end"; atMs: number; speechMs: number };

/** Frames of speech that confirm an onset: 2 (64 ms) to 3 (96 ms). */
export function onsetFrames(sensitivity: number): number {
  return sensitivity >= 0.5 ? 2 : 3;
}

export class Endpointer {
  private t = 0;
  private run = 0;
  private inSpeech = false;
  private silentMs = 0;
  private speculated = false;
  private speechStart = 0;

  constructor(private readonly opts: EndpointerOptions) {}

  get speaking(): boolean {
    return this.inSpeech;
  }

  /** Feeds one frame's speech probability; returns what it decided (usually nothing). */
  frame(probability: number): EndpointEvent[] {
    this.t += FRAME_MS;
    const events: EndpointEvent[] = [];
    if (!this.inSpeech) {
      this.run = probability >= this.opts.threshold ? this.run + 1 : 0;
      if (this.run >= onsetFrames(this.opts.sensitivity)) {
        this.inSpeech = true;
        this.silentMs = 0;
        this.speculated = false;
        this.speechStart = this.t - this.run * FRAME_MS;
        events.push({ type: "speech-start", atMs: this.speechStart });
      }
      return events;
    }
    if (probability >= Math.max(0.05, this.opts.threshold - 0.15)) {
      if (this.speculated) events.push({ type: "resume", atMs: this.t });
      this.speculated = false;
      this.silentMs = 0;
      return events;
    }
    this.silentMs += FRAME_MS;
    if (!this.speculated && this.silentMs >= SPECULATE_MS && this.silentMs < this.opts.silenceMs) {
      this.speculated = true;
      events.push({ type: "speculate", atMs: this.t });
    }
    if (this.silentMs >= this.opts.silenceMs) {
      this.inSpeech = false;
      this.run = 0;
      this.speculated = false;
      events.push({ type: "end", atMs: this.t, speechMs: this.t - this.silentMs - this.speechStart });
    }
    return events;
  }

  /** Forgets a turn in progress (push-to-talk released, call muted). */
  reset(): void {
    this.run = 0;
    this.inSpeech = false;
    this.silentMs = 0;
    this.speculated = false;
  }
}
