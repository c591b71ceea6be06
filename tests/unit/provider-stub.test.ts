// The test provider's scripts are deterministic: the same conversation always gets the same reply.
import { describe, expect, it } from "vitest";
import { scriptReply } from "@/server/offline-provider/script";

const user = (content: string) => ({ role: "user", content });

describe("test provider scripts", () => {
  it("echoes plain messages in several chunks", () => {
    const r = scriptReply([user("hello world")]);
    expect(r.kind).toBe("text");
    if (r.kind === "text") {
      expect(r.chunks.join("")).toBe("Echo: hello world");
      expect(r.chunks.length).toBeGreaterThan(1);
    }
  });

  it("calls the scripted tools, then summarises their results", () => {
    const first = scriptReply([
      user(
        'x [[tool:code_execution {"runtime":"python","code":"print(1)"}]] [[tool:memory_search {"query":"a"}]]',
      ),
    ]);
    expect(first).toMatchObject({
      kind: "tools",
      calls: [{ name: "code_execution" }, { name: "memory_search" }],
    });
    const second = scriptReply([
      user('x [[tool:code_execution {"runtime":"python","code":"print(1)"}]]'),
      { role: "assistant", content: null },
      { role: "tool", content: '{"stdout":"1"}' },
    ]);
    expect(second.kind).toBe("text");
    if (second.kind === "text") expect(second.chunks.join("")).toContain('{"stdout":"1"}');
  });

  it("scripts errors, failures mid-stream and malformed arguments", () => {
    expect(scriptReply([user("[[error:429]]")])).toMatchObject({ kind: "error", status: 429 });
    expect(scriptReply([user("a b c d [[fail-mid]]")])).toMatchObject({ kind: "text", failAfter: 2 });
    const bad = scriptReply([user("[[bad-args]]")]);
    expect(bad.kind).toBe("tools");
    if (bad.kind === "tools") expect(() => JSON.parse(bad.calls[0]!.arguments) as unknown).toThrow();
  });
});
