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
// With the energies of a frame's ENERGY_BLOCKS blocks (8 ms each), the credit is counted in blocks: the
// quiet end of the frame the word ended in counts as silence too (never the whole of it: some of it
// was speech). And audio that has arrived but is not yet a whole frame (`partial`) ends the turn as
// soon as the pause is long enough, if it is as quiet as the pause: the end is not held to 32 ms steps.

export const FRAME_MS = 32;
/** Silence after which transcription starts early; dropped if speech resumes. */
export const SPECULATE_MS = 200;
/** Frames by which the VAD's fall can lag the end of speech, and at most credited back as silence. */
export const VAD_LAG_FRAMES = 2;
/** Blocks a frame's energy may be given in (8 ms each at 32 ms frames), for a finer end of speech. */
export const ENERGY_BLOCKS = 4;
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
  /**
   * Loudest frame of the utterance and the block energies of its last VAD_LAG_FRAMES + 1 speech
   * frames, oldest first (dB; one block per frame when no blocks were given).
   */
  private peakDb = -Infinity;
  private recentDb: { db: number; blocks: readonly number[] }[] = [];
  /** The loudest frame of the pause being counted (dB), when energies are known. */
  private pauseDb: number | undefined;

  constructor(private readonly opts: EndpointerOptions) {}

  get speaking(): boolean {
    return this.inSpeech;
  }

  /**
   * Feeds one frame's speech probability, and its energy (mean square in dB full scale, see
   * `frameEnergyDb`) when known, and that of its ENERGY_BLOCKS blocks in order if known; returns
   * what it decided (usually nothing).
   */
  frame(probability: number, energyDb?: number, blocksDb?: readonly number[]): EndpointEvent[] {
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
      this.pauseDb = undefined;
      if (energyDb !== undefined) {
        this.peakDb = Math.max(this.peakDb, energyDb);
        this.recentDb.push({ db: energyDb, blocks: blocksDb?.length ? [...blocksDb] : [energyDb] });
        if (this.recentDb.length > VAD_LAG_FRAMES + 1) this.recentDb.shift();
      }
      return events;
    }
    if (this.silentMs === 0) this.silentMs = FRAME_MS + this.lagMs(energyDb);
    else this.silentMs += FRAME_MS;
    if (energyDb !== undefined) this.pauseDb = Math.max(this.pauseDb ?? -Infinity, energyDb);
    if (!this.speculated && this.silentMs >= SPECULATE_MS && this.silentMs < this.opts.silenceMs) {
      this.speculated = true;
      events.push({ type: "speculate", atMs: this.t });
    }
    if (this.silentMs >= this.opts.silenceMs) events.push(this.end(this.t, this.silentMs));
    return events;
  }

  /** Whether `ms` more of silence would end the turn (a pause is being counted and nearly long enough). */
  endsWithin(ms: number): boolean {
    return this.inSpeech && this.silentMs > 0 && this.silentMs + ms >= this.opts.silenceMs;
  }

  /**
   * The audio after the last whole frame: `ms` of it, its energy `energyDb`. As quiet as the pause so
   * far (within QUIET_DB of its loudest frame, QUIET_BELOW_PEAK_DB under the utterance) and long
   * enough to complete it, it ends the turn now; otherwise nothing (its frame decides when whole).
   */
  partial(ms: number, energyDb: number): EndpointEvent[] {
    if (!this.endsWithin(ms) || this.pauseDb === undefined) return [];
    if (energyDb > this.pauseDb + QUIET_DB || energyDb > this.peakDb - QUIET_BELOW_PEAK_DB) return [];
    return [this.end(this.t + ms, this.silentMs + ms)];
  }

  private end(atMs: number, silentMs: number): EndpointEvent {
    this.inSpeech = false;
    this.run = 0;
    this.speculated = false;
    this.pauseDb = undefined;
    return { type: "end", atMs, speechMs: atMs - silentMs - this.speechStart, silentMs };
  }

  /**
   * The quiet end of the speech just before the first silent frame (see the header), in ms: whole
   * quiet frames, up to VAD_LAG_FRAMES of them, then the quiet last blocks of the frame before
   * those (never all of its blocks: a frame the VAD called speech was speech somewhere).
   */
  private lagMs(silentDb: number | undefined): number {
    const frames = this.recentDb;
    this.recentDb = [];
    if (silentDb === undefined) return 0;
    const quiet = (db: number) => db <= silentDb + QUIET_DB && db <= this.peakDb - QUIET_BELOW_PEAK_DB;
    let ms = 0;
    for (let i = frames.length - 1, whole = 0; i >= 0; i--, whole++) {
      const { db, blocks } = frames[i]!;
      if (whole < VAD_LAG_FRAMES && quiet(db)) {
        ms += FRAME_MS;
        continue;
      }
      for (let b = blocks.length - 1; b >= 1 && quiet(blocks[b]!); b--) ms += FRAME_MS / blocks.length;
      break;
    }
    return ms;
  }

  /** Forgets a turn in progress (push-to-talk released, call muted). */
  reset(): void {
    this.run = 0;
    this.inSpeech = false;
    this.silentMs = 0;
    this.speculated = false;
    this.recentDb = [];
    this.pauseDb = undefined;
  }
}

/** A frame's energy: mean square of its samples (full scale 1) in dB, floored at -120. */
export function frameEnergyDb(meanSquare: number): number {
  return 10 * Math.log10(Math.max(meanSquare, 1e-12));
}
