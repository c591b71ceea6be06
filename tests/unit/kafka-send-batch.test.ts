// What the Kafka transport sends in one request when several sends queued behind the one in flight:
// each topic's messages together, in the order they were sent (per-key order holds).
import { describe, expect, it } from "vitest";
import { byTopic } from "@/lib/bus/kafka-transport";

describe("byTopic", () => {
  it("keeps each topic's messages in the order they were sent", () => {
    const m = (key: string, value: string) => ({ key, value });
    expect(
      byTopic([
        { topic: "t.tool-results", messages: [m("s1", "r1")] },
        { topic: "t.tools", messages: [m("s1", "a"), m("s2", "b")] },
        { topic: "t.tool-results", messages: [m("s1", "r2")] },
        { topic: "t.tools", messages: [m("s1", "c")] },
      ]),
    ).toEqual([
      { topic: "t.tool-results", messages: [m("s1", "r1"), m("s1", "r2")] },
      { topic: "t.tools", messages: [m("s1", "a"), m("s2", "b"), m("s1", "c")] },
    ]);
  });
});
