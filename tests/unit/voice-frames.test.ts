// Audio in chunks of any size, cut into the VAD's fixed frames; the rest waits for the next chunk.
import { describe, expect, it } from "vitest";
import { FrameCutter } from "@/lib/voice/frames";

const ramp = (from: number, n: number) => Int16Array.from({ length: n }, (_, i) => from + i);

describe("FrameCutter", () => {
  it("cuts 20 ms packets into 32 ms frames in order, keeping the rest", () => {
    const cutter = new FrameCutter(512);
    const out: Int16Array[] = [];
    for (let i = 0; i < 8; i++) out.push(...cutter.push(ramp(i * 320, 320)));
    // 8 packets of 320 samples = 2,560 samples = exactly 5 frames.
    expect(out.map((f) => f.length)).toEqual([512, 512, 512, 512, 512]);
    expect(Array.from(out.flatMap((f) => Array.from(f)))).toEqual(Array.from(ramp(0, 2560)));
    expect(cutter.pending().length).toBe(0);
  });

  it("gives what waits for the next frame as a copy, and frames that later audio does not change", () => {
    const cutter = new FrameCutter(4);
    expect(cutter.push(ramp(0, 6))).toEqual([ramp(0, 4)]);
    const rest = cutter.pending();
    expect(rest).toEqual(ramp(4, 2));
    const [frame] = cutter.push(ramp(6, 2));
    expect(frame).toEqual(ramp(4, 4));
    cutter.push(Int16Array.of(-1, -1, -1));
    expect(rest).toEqual(ramp(4, 2));
    expect(frame).toEqual(ramp(4, 4));
    expect(cutter.pending()).toEqual(Int16Array.of(-1, -1, -1));
    // A chunk spanning several frames at once.
    expect(cutter.push(ramp(0, 9)).map((f) => Array.from(f))).toEqual([
      [-1, -1, -1, 0],
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
  });
});
