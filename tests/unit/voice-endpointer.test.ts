// Turn-taking decisions from per-frame speech probabilities (32 ms frames).
import { describe, expect, it } from "vitest";
import { Endpointer, FRAME_MS, VAD_LAG_FRAMES } from "@/lib/voice/endpointer";

function run(e: Endpointer, probabilities: number[]) {
  return probabilities.flatMap((p) => e.frame(p));
}
const frames = (p: number, ms: number) => Array<number>(Math.round(ms / FRAME_MS)).fill(p);

describe("Endpointer", () => {
  const opts = { threshold: 0.5, silenceMs: 512, sensitivity: 0.5 };

  it("confirms speech after 64 ms at high sensitivity and 96 ms at low", () => {
    expect(run(new Endpointer(opts), [0.9])).toEqual([]);
    expect(run(new Endpointer(opts), [0.1, 0.9, 0.9])).toEqual([{ type: "speech-start", atMs: 32 }]);
    expect(run(new Endpointer({ ...opts, sensitivity: 0 }), [0.9, 0.9])).toEqual([]);
    expect(run(new Endpointer({ ...opts, sensitivity: 0 }), [0.9, 0.9, 0.9]).map((e) => e.type)).toEqual([
      "speech-start",
    ]);
  });

  it("ignores a single loud frame (a click)", () => {
    expect(run(new Endpointer(opts), [0.9, 0.1, 0.9, 0.1, 0.9, 0.1])).toEqual([]);
  });

  it("speculates after 200 ms of silence and ends the turn after silenceMs", () => {
    const events = run(new Endpointer(opts), [...frames(0.9, 640), ...frames(0.05, 640)]);
    expect(events).toEqual([
      { type: "speech-start", atMs: 0 },
      { type: "speculate", atMs: 640 + 224 },
      { type: "end", atMs: 640 + 512, speechMs: 640, silentMs: 512 },
    ]);
  });

  it("drops the speculation when speech resumes, and keeps the turn open", () => {
    const events = run(new Endpointer(opts), [
      ...frames(0.9, 320),
      ...frames(0.05, 256),
      ...frames(0.9, 320),
      ...frames(0.05, 320),
    ]);
    expect(events.map((e) => e.type)).toEqual(["speech-start", "speculate", "resume", "speculate"]);
  });

  it("keeps speech going through frames just under the threshold (hysteresis)", () => {
    const events = run(new Endpointer(opts), [...frames(0.9, 96), ...frames(0.4, 1000)]);
    expect(events.map((e) => e.type)).toEqual(["speech-start"]);
  });

  describe("with frame energies: silence from the last voiced frame", () => {
    const ms = (p: number, db: number, n: number) => Array.from({ length: n }, () => [p, db] as const);
    const feed = (e: Endpointer, seq: (readonly [number, number])[]) =>
      seq.flatMap(([p, db]) => e.frame(p, db));

    it("counts the quiet frames the VAD still called speech as silence (its lag, at most two)", () => {
      // Speech at -20 dB ends after 640 ms; the probability stays high for two silent frames.
      const events = feed(new Endpointer(opts), [
        ...ms(0.9, -20, 20),
        ...ms(0.8, -90, 2),
        ...ms(0.05, -90, 20),
      ]);
      expect(events).toEqual([
        { type: "speech-start", atMs: 0 },
        { type: "speculate", atMs: 640 + 224 },
        { type: "end", atMs: 640 + 512, speechMs: 640, silentMs: 512 },
      ]);
      // Without energies the same audio ends two frames later.
      const blind = run(new Endpointer(opts), [
        ...frames(0.9, 640),
        ...frames(0.8, 64),
        ...frames(0.05, 640),
      ]);
      expect(blind.at(-1)).toEqual({ type: "end", atMs: 640 + 64 + 512, speechMs: 704, silentMs: 512 });
    });

    it("credits no more than VAD_LAG_FRAMES, however long the quiet frames were scored as speech", () => {
      const events = feed(new Endpointer(opts), [
        ...ms(0.9, -20, 20),
        ...ms(0.8, -90, 5),
        ...ms(0.05, -90, 20),
      ]);
      expect(events.at(-1)).toEqual({
        type: "end",
        atMs: 640 + 3 * FRAME_MS + 512,
        speechMs: 640 + 3 * FRAME_MS,
        silentMs: 512,
      });
      expect(VAD_LAG_FRAMES).toBe(2);
    });

    it("keeps an audible tail as speech: the pause is never taken for longer than it is", () => {
      // The last two speech frames are soft (-45 dB) but well above the silence after them (-90 dB).
      const events = feed(new Endpointer(opts), [
        ...ms(0.9, -20, 20),
        ...ms(0.8, -45, 2),
        ...ms(0.05, -90, 20),
      ]);
      expect(events.at(-1)).toEqual({ type: "end", atMs: 704 + 512, speechMs: 704, silentMs: 512 });
    });

    it("does not credit frames near the utterance's own level (a quiet speaker in a quiet room)", () => {
      // Whole utterance at -60 dB, silence at -64: within 6 dB, but not 30 dB under the speech.
      const events = feed(new Endpointer(opts), [
        ...ms(0.9, -60, 20),
        ...ms(0.8, -60, 2),
        ...ms(0.05, -64, 20),
      ]);
      expect(events.at(-1)).toEqual({ type: "end", atMs: 704 + 512, speechMs: 704, silentMs: 512 });
    });

    it("a pause shorter than silenceMs never ends the turn, lag credit included", () => {
      const events = feed(new Endpointer(opts), [
        ...ms(0.9, -20, 10),
        ...ms(0.8, -90, 2),
        ...ms(0.05, -90, 13), // 64 + 416 = 480 ms of real silence < 512
        ...ms(0.9, -20, 10),
      ]);
      expect(events.map((e) => e.type)).toEqual(["speech-start", "speculate", "resume"]);
    });
  });
});
