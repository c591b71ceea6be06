// The outbox relay's pure parts: rows go out in runs of one channel, in order, a failed publish
// waits longer each time, up to a bound, and only ids are ever written into its SQL.
import { describe, expect, it } from "vitest";
import { bigintLiteral, retryDelayMs, runsByTopic, uuidLiteral } from "@/lib/bus/outbox-relay";

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

describe("ids written into the relay's SQL", () => {
  it("are ids, or the pass fails", () => {
    expect(bigintLiteral("42")).toBe("42");
    expect(uuidLiteral("0c0c874c-738c-4e44-9e5f-799ace037a95")).toBe(
      "'0c0c874c-738c-4e44-9e5f-799ace037a95'::uuid",
    );
    for (const bad of ["", "1;DROP TABLE outbox", "-1", "1e3", "12345678901234567890"])
      expect(() => bigintLiteral(bad)).toThrow(/not an outbox id/);
    for (const bad of [
      "x",
      "0c0c874c-738c-4e44-9e5f-799ace037a95'; --",
      "'0c0c874c-738c-4e44-9e5f-799ace037a9'",
    ])
      expect(() => uuidLiteral(bad)).toThrow(/not a tool-call id/);
  });
});
