// Turn-taking from voice-activity probabilities, one 32 ms frame at a time (no clock of its own, so
// it is exact in tests): speech starts after a short run of speech frames (the barge-in onset), the
// transcript may be started speculatively after a short silence, and the turn ends after
// `silenceMs` of silence. Hysteresis: speech continues down to `threshold - 0.15`.
//
// Silero's probability falls one or two frames after the last word (it remembers): measured on
// espeak-ng and recorded speech, the frame after the last voiced one still scores 0.6–0.9. Given each
// frame's energy, silence is counted from the last voiced frame instead: when the probability falls,
// the up to VAD_LAG_FRAMES frames just before it that are as quiet as the silence that follows (within
// QUIET_DB of it, and QUIET_BELOW_PEAK_DB under the loudest frame of the utterance) count as silence.
// A soft but audible tail keeps its frames as speech, so the pause is never taken for longer than it is.

export const FRAME_MS = 32;
/** Silence after which transcription starts early; dropped if speech resumes. */
export const SPECULATE_MS = 200;
/** Frames by which the VAD's fall can lag the end of speech, and at most credited back as silence. */
export const VAD_LAG_FRAMES = 2;
/** A frame this close to the energy of the first silent one is silence too (dB). */
const QUIET_DB = 6;
/** …and only if it is this far under the loudest frame of the utterance (dB). */
const QUIET_BELOW_PEAK_DB = 30;

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
  /** `silentMs`: the silence that ended it, counted from the last voiced frame. */
  | { type: "end"; atMs: number; speechMs: number; silentMs: number };

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
  /** Loudest frame of the utterance and the energies of its last VAD_LAG_FRAMES speech frames (dB). */
  private peakDb = -Infinity;
  private recentDb: number[] = [];

  constructor(private readonly opts: EndpointerOptions) {}

  get speaking(): boolean {
    return this.inSpeech;
  }

  /**
   * Feeds one frame's speech probability, and its energy (mean square in dB full scale, see
   * `frameEnergyDb`) when known; returns what it decided (usually nothing).
   */
  frame(probability: number, energyDb?: number): EndpointEvent[] {
    this.t += FRAME_MS;
    const events: EndpointEvent[] = [];
    if (!this.inSpeech) {
      this.run = probability >= this.opts.threshold ? this.run + 1 : 0;
      if (this.run >= onsetFrames(this.opts.sensitivity)) {
        this.inSpeech = true;
        this.silentMs = 0;
        this.speculated = false;
        this.speechStart = this.t - this.run * FRAME_MS;
        this.peakDb = energyDb ?? -Infinity;
        this.recentDb = [];
        events.push({ type: "speech-start", atMs: this.speechStart });
      }
      return events;
    }
    if (probability >= Math.max(0.05, this.opts.threshold - 0.15)) {
      if (this.speculated) events.push({ type: "resume", atMs: this.t });
      this.speculated = false;
      this.silentMs = 0;
      if (energyDb !== undefined) {
        this.peakDb = Math.max(this.peakDb, energyDb);
        this.recentDb.push(energyDb);
        if (this.recentDb.length > VAD_LAG_FRAMES) this.recentDb.shift();
      }
      return events;
    }
    this.silentMs += this.silentMs === 0 ? FRAME_MS * (1 + this.lagFrames(energyDb)) : FRAME_MS;
    if (!this.speculated && this.silentMs >= SPECULATE_MS && this.silentMs < this.opts.silenceMs) {
      this.speculated = true;
      events.push({ type: "speculate", atMs: this.t });
    }
    if (this.silentMs >= this.opts.silenceMs) {
      this.inSpeech = false;
      this.run = 0;
      this.speculated = false;
      events.push({
        type: "end",
        atMs: this.t,
        speechMs: this.t - this.silentMs - this.speechStart,
        silentMs: this.silentMs,
      });
    }
    return events;
  }

  /** Speech frames just before the first silent one that were as quiet as it (see the header). */
  private lagFrames(silentDb: number | undefined): number {
    if (silentDb === undefined) return 0;
    let n = 0;
    for (let i = this.recentDb.length - 1; i >= 0; i--) {
      const db = this.recentDb[i]!;
      if (db > silentDb + QUIET_DB || db > this.peakDb - QUIET_BELOW_PEAK_DB) break;
      n++;
    }
    this.recentDb = [];
    return n;
  }

  /** Forgets a turn in progress (push-to-talk released, call muted). */
  reset(): void {
    this.run = 0;
    this.inSpeech = false;
    this.silentMs = 0;
    this.speculated = false;
    this.recentDb = [];
  }
}

/** A frame's energy: mean square of its samples (full scale 1) in dB, floored at -120. */
export function frameEnergyDb(meanSquare: number): number {
  return 10 * Math.log10(Math.max(meanSquare, 1e-12));
}
