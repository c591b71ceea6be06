// Turn-taking decisions from per-frame speech probabilities (32 ms frames).
import { describe, expect, it } from "vitest";
import { ENERGY_BLOCKS, Endpointer, FRAME_MS, VAD_LAG_FRAMES } from "@/lib/voice/endpointer";

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

    it("credits the quiet blocks at the end of the frame the word ended in, never all of it", () => {
      expect(ENERGY_BLOCKS).toBe(4);
      const block = FRAME_MS / ENERGY_BLOCKS;
      const e = new Endpointer(opts);
      const events = [
        ...Array.from({ length: 20 }, () => e.frame(0.9, -20, [-20, -20, -20, -20])),
        // The word ends 8 ms into this frame; the VAD still scores it and the next one as speech.
        e.frame(0.9, -26, [-20, -90, -90, -90]),
        e.frame(0.8, -90, [-90, -90, -90, -90]),
        ...Array.from({ length: 13 }, () => e.frame(0.05, -90, [-90, -90, -90, -90])),
      ].flat();
      // 13 silent frames + the lag frame + 3 blocks: 13 * 32 + 32 + 24 = 472 ms, not yet 512.
      expect(events.map((x) => x.type)).toEqual(["speech-start", "speculate"]);
      // The next 40 ms have arrived (not a whole frame yet) and are as quiet: the pause is complete.
      expect(e.partial(40, -90)).toEqual([
        { type: "end", atMs: 22 * 32 + 13 * 32 + 40, speechMs: 20 * 32 + block, silentMs: 512 },
      ]);

      // A frame scored as speech that is quiet throughout is beyond the VAD's lag: at most all but
      // one of its blocks count.
      const quiet = new Endpointer(opts);
      for (let i = 0; i < 20; i++) quiet.frame(0.9, -20, [-20, -20, -20, -20]);
      for (let i = 0; i < 3; i++) quiet.frame(0.8, -90, [-90, -90, -90, -90]);
      const end = Array.from({ length: 20 }, () => quiet.frame(0.05, -90, [-90, -90, -90, -90]))
        .flat()
        .find((x) => x.type === "end");
      // Credit 2 * 32 + 3 * 8 = 88: 88 + 32 * 14 = 536 at the first whole frame past 512.
      expect(end).toEqual({ type: "end", atMs: 23 * 32 + 14 * 32, speechMs: 23 * 32 - 88, silentMs: 536 });
    });

    it("ends on audio short of a frame only when it completes the pause and is as quiet as it", () => {
      const start = () => {
        const e = new Endpointer(opts);
        for (let i = 0; i < 20; i++) e.frame(0.9, -20);
        for (let i = 0; i < 15; i++) e.frame(0.05, -80); // 480 ms of silence
        return e;
      };
      // Too short to complete it: nothing, and the frame decides as before.
      const short = start();
      expect(short.endsWithin(20)).toBe(false);
      expect(short.partial(20, -80)).toEqual([]);
      expect(short.frame(0.05, -80).map((x) => x.type)).toEqual(["end"]);
      // Long enough but louder than the pause (a word starting): nothing yet.
      const louder = start();
      expect(louder.endsWithin(32)).toBe(true);
      expect(louder.partial(32, -60)).toEqual([]);
      expect(louder.frame(0.9, -30).map((x) => x.type)).toEqual(["resume"]); // the speculation dropped
      expect(louder.speaking).toBe(true);
      // Quiet and long enough: the turn ends once, and the next frame is a new start.
      const quiet = start();
      expect(quiet.partial(32, -78)).toEqual([
        { type: "end", atMs: 35 * 32 + 32, speechMs: 640, silentMs: 512 },
      ]);
      expect(quiet.speaking).toBe(false);
      expect(quiet.partial(32, -78)).toEqual([]);
      expect(quiet.frame(0.05, -80)).toEqual([]);
      // Not in a pause (or no energies known): nothing.
      const talking = new Endpointer(opts);
      talking.frame(0.9);
      talking.frame(0.9);
      expect(talking.partial(600, -90)).toEqual([]);
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
