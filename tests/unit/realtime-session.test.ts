// The realtime pieces that need no provider: what of a session the page may not change, and the
// price of a realtime answer by token kind.
import { describe, expect, it } from "vitest";
import { guardedPart } from "@/lib/voice/realtime/session";
import { realtimeCostUsd } from "@/lib/budget/pricing";

describe("guardedPart", () => {
  const tools = [
    { type: "function", name: "b", description: "B", parameters: {} },
    { type: "function", name: "a", description: "A", parameters: {} },
  ];

  it("is the same whatever the tools' order and the session's other fields", () => {
    expect(guardedPart({ instructions: "x", tools })).toBe(
      guardedPart({ instructions: "x", tools: [...tools].reverse(), voice: "alloy" } as never),
    );
  });

  it("differs when the instructions, a tool or a tool's description change", () => {
    const base = guardedPart({ instructions: "x", tools });
    expect(guardedPart({ instructions: "y", tools })).not.toBe(base);
    expect(guardedPart({ instructions: "x", tools: tools.slice(1) })).not.toBe(base);
    expect(
      guardedPart({ instructions: "x", tools: [{ ...tools[0], description: "evil" }, tools[1]] }),
    ).not.toBe(base);
    expect(guardedPart({})).toBe(guardedPart({ instructions: "", tools: [] }));
  });
});

describe("realtimeCostUsd", () => {
  it("prices text and audio tokens apart (stub-realtime: 1/2 text, 10/20 audio per 1M)", () => {
    expect(
      realtimeCostUsd("stub", "stub-realtime", { textIn: 20, audioIn: 100, textOut: 20, audioOut: 60 }),
    ).toBe((20 + 1000 + 40 + 1200) / 1e6);
  });

  it("prices audio at the text price when the model lists no audio price, and 0 for no price", () => {
    expect(
      realtimeCostUsd("stub", "stub-chat", { textIn: 1, audioIn: 1, textOut: 1, audioOut: 1 }),
    ).toBeCloseTo((1 + 1 + 2 + 2) / 1e6, 12);
    expect(realtimeCostUsd("stub", "unknown", { textIn: 5, audioIn: 5, textOut: 5, audioOut: 5 })).toBe(0);
  });
});
