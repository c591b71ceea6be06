// Turn-taking decisions from per-frame speech probabilities (32 ms frames).
import { describe, expect, it } from "vitest";
import { Endpointer, FRAME_MS } from "@/lib/voice/endpointer";

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
      { type: "end", atMs: 640 + 512, speechMs: 640 },
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
});
