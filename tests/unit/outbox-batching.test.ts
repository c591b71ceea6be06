// The outbox relay's pure parts: rows go out in runs of one channel, in order, and a failed publish
// waits longer each time, up to a bound.
import { describe, expect, it } from "vitest";
import { retryDelayMs, runsByTopic } from "@/lib/bus/outbox-relay";

describe("runsByTopic", () => {
  it("groups consecutive rows of one channel and keeps the order", () => {
    const rows = ["tools", "tools", "toolResults", "tools", "tools", "tools"].map((topic, id) => ({
      id,
      topic,
    }));
    expect(runsByTopic(rows).map((run) => run.map((r) => r.id))).toEqual([[0, 1], [2], [3, 4, 5]]);
  });

  it("makes no runs of no rows", () => {
    expect(runsByTopic([])).toEqual([]);
  });
});

describe("retryDelayMs", () => {
  it("doubles from 250 ms and stops at 15 s", () => {
    expect([0, 1, 2, 3, 5, 6, 7, 50].map(retryDelayMs)).toEqual([
      250, 500, 1000, 2000, 8000, 15_000, 15_000, 15_000,
    ]);
  });
});
