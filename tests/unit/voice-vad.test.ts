// The VAD's synchronous runs (onnxruntime-node's own binding) against the package's public,
// asynchronous InferenceSession on the same model: the same probabilities, frame by frame.
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { parseWav } from "@/lib/audio/wav";
import { speak } from "@/server/offline-provider/speech/espeak";
import { SileroVad, VAD_FRAME, VAD_RATE, VAD_SESSION_OPTIONS, vadModelPath } from "@/lib/voice/vad";

/** 0.5 s of quiet, a spoken phrase (espeak-ng at 16 kHz), 0.5 s of quiet, in VAD frames. */
async function audio(): Promise<Float32Array[]> {
  const speech = parseWav(await speak("what is six times seven", "alloy", 1, VAD_RATE))!.samples;
  const out = new Float32Array(VAD_RATE + speech.length);
  speech.forEach((x, i) => (out[VAD_RATE / 2 + i] = x / 32_768));
  return Array.from({ length: Math.floor(out.length / VAD_FRAME) }, (_, k) =>
    out.slice(k * VAD_FRAME, (k + 1) * VAD_FRAME),
  );
}

async function publicApiProbabilities(frames: Float32Array[]): Promise<number[]> {
  const session = await ort.InferenceSession.create(vadModelPath(), { ...VAD_SESSION_OPTIONS });
  let state = new Float32Array(256);
  const input = new Float32Array(64 + VAD_FRAME);
  const sr = new ort.Tensor("int64", BigInt64Array.from([BigInt(VAD_RATE)]));
  const out: number[] = [];
  for (const f of frames) {
    input.copyWithin(0, VAD_FRAME);
    input.set(f, 64);
    const r = await session.run({
      input: new ort.Tensor("float32", input, [1, input.length]),
      state: new ort.Tensor("float32", state, [2, 1, 128]),
      sr,
    });
    const [prob, stateName] = session.outputNames;
    state = Float32Array.from(r[stateName!]!.data as Float32Array);
    out.push((r[prob!]!.data as Float32Array)[0]!);
  }
  await session.release();
  return out;
}

describe("SileroVad", () => {
  it("gives the public API's probabilities, synchronously, and hears the voiced second", async () => {
    const frames = await audio();
    const expected = await publicApiProbabilities(frames);
    const vad = await SileroVad.create();
    const now = frames.map((f) => vad.probabilityNow(f));
    for (let i = 0; i < frames.length; i++) expect(now[i]).toBeCloseTo(expected[i]!, 5);
    // Not a trivial agreement: the phrase is heard as speech, the quiet before it is not.
    expect(Math.max(...now)).toBeGreaterThan(0.9);
    expect(Math.max(...now.slice(0, 10))).toBeLessThan(0.1);
  });

  it("keeps one state per call: two calls interleaved give each its own probabilities", async () => {
    const frames = await audio();
    const alone = await SileroVad.create();
    const expected = frames.map((f) => alone.probabilityNow(f));
    const a = await SileroVad.create();
    const b = await SileroVad.create();
    const silence = new Float32Array(VAD_FRAME);
    const got: number[] = [];
    for (const f of frames) {
      got.push(await a.probability(f));
      b.probabilityNow(silence);
    }
    for (let i = 0; i < frames.length; i++) expect(got[i]).toBeCloseTo(expected[i]!, 6);
    expect(() => a.probabilityNow(new Float32Array(10))).toThrow(/512 samples/);
  });
});
