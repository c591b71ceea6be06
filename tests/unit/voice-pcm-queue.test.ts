// The queue of audio waiting to be sent: frames taken across chunk edges, padding at the end, drain.
import { describe, expect, it } from "vitest";
import { PcmQueue } from "@/lib/voice/pcm-queue";

describe("PcmQueue", () => {
  it("takes frames across chunk edges and pads the last one", () => {
    const q = new PcmQueue();
    q.push(Int16Array.from([1, 2, 3]));
    q.push(Int16Array.from([4, 5]));
    expect(q.take(4)).toEqual({ samples: Int16Array.from([1, 2, 3, 4]), filled: 4 });
    expect(q.take(4)).toEqual({ samples: Int16Array.from([5, 0, 0, 0]), filled: 1 });
    expect(q.take(4)).toBeUndefined();
    expect(q.empty).toBe(true);
  });

  it("hands back what is left and is empty afterwards", () => {
    const q = new PcmQueue();
    q.push(Int16Array.from([1, 2, 3]));
    q.push(new Int16Array(0));
    q.push(Int16Array.from([4]));
    q.take(2);
    expect(q.drain()).toEqual([Int16Array.from([3]), Int16Array.from([4])]);
    expect(q.empty).toBe(true);
  });
});
