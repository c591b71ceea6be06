// The VAD skips silent frames (no model run) without changing what the endpointer decides.
import { describe, expect, it } from "vitest";
import { parseWav } from "@/lib/audio/wav";
import { speak } from "@/lib/provider-stub/speech/espeak";
import { Endpointer, frameEnergyDb, FRAME_MS, type EndpointEvent } from "@/lib/voice/endpointer";
import { SileroVad, VAD_FRAME } from "@/lib/voice/vad";

async function audio(): Promise<Float32Array> {
  const silence = new Int16Array(16_000);
  const parts: Int16Array[] = [silence];
  for (const text of ["what is six times seven", "hello how are you today"]) {
    parts.push(parseWav(await speak(text, "alloy", 1, 16_000))!.samples, silence);
  }
  const pcm = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) for (const x of p) pcm[o++] = x / 32_768;
  return pcm;
}

async function decide(vad: SileroVad, pcm: Float32Array) {
  const endpointer = new Endpointer({ threshold: 0.5, silenceMs: 500, sensitivity: 0.5 });
  const events: EndpointEvent[] = [];
  const probabilities: number[] = [];
  for (let i = 0; i + VAD_FRAME <= pcm.length; i += VAD_FRAME) {
    const frame = pcm.slice(i, i + VAD_FRAME);
    const p = await vad.probability(frame);
    probabilities.push(p);
    events.push(...endpointer.frame(p, frameEnergyDb(frame.reduce((s, x) => s + x * x, 0) / VAD_FRAME)));
  }
  return { events, probabilities };
}

describe("SileroVad", () => {
  it("scores a silent frame 0 without running the model", async () => {
    const vad = await SileroVad.create();
    expect(await vad.probability(new Float32Array(VAD_FRAME))).toBe(0);
    expect(vad.inferences).toBe(0);
    const noise = Float32Array.from({ length: VAD_FRAME }, (_, i) => (i % 2 ? 0.01 : -0.01));
    await vad.probability(noise);
    expect(vad.inferences).toBe(1);
  });

  it("decides the same turns with silent frames skipped, running the model on far fewer frames", async () => {
    const pcm = await audio();
    const every = await SileroVad.create({ skipSilence: false });
    const skipping = await SileroVad.create();
    const reference = await decide(every, pcm);
    const gated = await decide(skipping, pcm);
    expect(reference.events.map((e) => e.type)).toEqual([
      "speech-start",
      "speculate",
      "end",
      "speech-start",
      "speculate",
      "end",
    ]);
    expect(gated.events.map((e) => e.type)).toEqual(reference.events.map((e) => e.type));
    // Onsets exactly as the model run on every frame decides them (the skipped silence leaves the
    // model in the state it settles in over silence); ends no later, at most a frame sooner (a
    // silent frame scores 0 at once, where the model's own score lags).
    gated.events.forEach((e, i) => {
      const ref = reference.events[i]!;
      if (e.type === "speech-start") expect(e.atMs).toBe(ref.atMs);
      else expect(ref.atMs - e.atMs).toBeGreaterThanOrEqual(0);
      if (e.type !== "speech-start") expect(ref.atMs - e.atMs).toBeLessThanOrEqual(FRAME_MS);
    });
    expect(every.inferences).toBe(reference.probabilities.length);
    expect(skipping.inferences).toBeLessThan(0.7 * every.inferences);
  });
});
