// A voice call admits the speculative transcript while the person pauses; the turn then skips its
// own admission only for the same person, the same words and a recent decision.
import { describe, expect, it } from "vitest";
import { ADMITTED_FRESH_MS, admittedAhead } from "@/lib/agent/turns";

describe("admittedAhead", () => {
  const ahead = { userId: "u1", content: "what is six times seven", at: 1_000 };

  it("stands for the same person's same words, decided moments ago", () => {
    expect(admittedAhead(ahead, "u1", "what is six times seven", 1_300)).toBe(true);
  });

  it("does not stand for other words, another person, a stale decision or none", () => {
    expect(admittedAhead(ahead, "u1", "what is six times eight", 1_300)).toBe(false);
    expect(admittedAhead(ahead, "u2", "what is six times seven", 1_300)).toBe(false);
    expect(admittedAhead(ahead, "u1", "what is six times seven", 1_000 + ADMITTED_FRESH_MS)).toBe(false);
    expect(admittedAhead(undefined, "u1", "what is six times seven", 1_300)).toBe(false);
  });
});
