// The model's context: trimmed from the oldest end to fit the window, never starting with a tool
// result and always keeping the latest user message.
import { describe, expect, it } from "vitest";
import { estimateTokens, trimToWindow, type ChatMessage } from "@/lib/agent/context";

const system: ChatMessage = { role: "system", content: "be helpful" };
const big = "x".repeat(4000); // ~1000 tokens

describe("context window", () => {
  it("keeps everything when it fits", () => {
    const history: ChatMessage[] = [
      { role: "user", content: "a" },
      { role: "assistant", content: "b" },
      { role: "user", content: "c" },
    ];
    expect(trimToWindow(system, history, 128_000)).toEqual({ messages: [system, ...history], dropped: 0 });
  });

  it("drops the oldest exchanges, with their tool results, to fit", () => {
    const history: ChatMessage[] = [
      { role: "user", content: big },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "c1", type: "function", function: { name: "t", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "c1", content: big },
      { role: "assistant", content: big },
      { role: "user", content: big },
      { role: "assistant", content: big },
      { role: "user", content: "latest question" },
    ];
    const { messages, dropped } = trimToWindow(system, history, 4096);
    expect(dropped).toBeGreaterThan(0);
    expect(messages[0]).toBe(system);
    expect(messages[1]!.role).not.toBe("tool");
    expect(messages.at(-1)).toEqual({ role: "user", content: "latest question" });
    const budget = 4096 - 1024 - estimateTokens(system);
    expect(messages.slice(1).reduce((n, m) => n + estimateTokens(m), 0)).toBeLessThanOrEqual(budget);
  });

  it("never drops the latest user message, even when it alone is too long", () => {
    const history: ChatMessage[] = [
      { role: "user", content: "old" },
      { role: "assistant", content: "older answer" },
      { role: "user", content: big.repeat(10) },
    ];
    const { messages } = trimToWindow(system, history, 2048);
    expect(messages.at(-1)).toEqual(history[2]);
  });
});
