// The offline demo model answers plain requests with real tools and says honestly what it is.
import { describe, expect, it } from "vitest";
import { arithmeticOf, demoReply } from "@/server/offline-provider/demo";
import { scriptReply } from "@/server/offline-provider/script";

const textOf = (r: ReturnType<typeof demoReply>) => (r.kind === "text" ? r.chunks.join("") : "");

describe("offline demo model", () => {
  it("turns arithmetic requests into a Python expression, and leaves other requests alone", () => {
    expect(arithmeticOf("what is 6 times 7")).toBe("6*7");
    expect(arithmeticOf("What's six x seven?")).toBe("6*7");
    expect(arithmeticOf("calculate (2+3)*4")).toBe("(2+3)*4");
    expect(arithmeticOf("what is 1,000 divided by 8")).toBe("1000/8");
    expect(arithmeticOf("what is 2 to the power of 10")).toBe("2 ** 10");
    expect(arithmeticOf("12*12")).toBe("12*12");
    expect(arithmeticOf("what is the capital of France")).toBeUndefined();
    expect(arithmeticOf("I have 2 cats and 3 dogs")).toBeUndefined();
    expect(arithmeticOf("calculate (2+3")).toBeUndefined();
    expect(arithmeticOf("what is 3")).toBeUndefined();
  });

  it("runs code_execution for arithmetic, then answers with what the sandbox printed", () => {
    const first = demoReply("what is 6 times 7", undefined, 0);
    expect(first).toMatchObject({
      kind: "tools",
      calls: [
        { name: "code_execution", arguments: JSON.stringify({ runtime: "python", code: "print(6*7)" }) },
      ],
    });
    const result = JSON.stringify({ stdout: "42\n", stderr: "", exitCode: 0 });
    expect(textOf(demoReply("what is 6 times 7", { name: "code_execution", result }, 0))).toMatch(
      /^6 × 7 = 42\./,
    );
  });

  it("uses the memory tools to remember and to recall", () => {
    expect(demoReply("Remember that the door code is 1234.", undefined, 0)).toMatchObject({
      calls: [{ name: "memory_save", arguments: JSON.stringify({ content: "the door code is 1234" }) }],
    });
    expect(demoReply("what do you remember about the door code?", undefined, 0)).toMatchObject({
      calls: [{ name: "memory_search", arguments: JSON.stringify({ query: "the door code" }) }],
    });
    const found = JSON.stringify({ matches: [{ content: "the door code is 1234" }] });
    expect(
      textOf(
        demoReply("what do you remember about the door code?", { name: "memory_search", result: found }, 0),
      ),
    ).toContain("- the door code is 1234");
    const none = JSON.stringify({ matches: [] });
    expect(textOf(demoReply("recall x", { name: "memory_search", result: none }, 0))).toBe(
      "I have no memory about that yet.",
    );
  });

  it("reports a failed tool in words", () => {
    const r = demoReply("what is 1/0", { name: "code_execution", result: "Error (failed): exit code 1" }, 0);
    expect(textOf(r)).toContain("did not succeed");
  });

  it("explains the allow-list instead of fetching, and is honest about anything else", () => {
    expect(textOf(demoReply("fetch https://example.com/page", undefined, 0))).toContain("allow-list");
    const other = textOf(demoReply("write me a poem about the sea", undefined, 0));
    expect(other).toContain("offline demo model");
    expect(other).toContain('"write me a poem about the sea"');
  });

  it("answers only for offline models, and directives still script it", () => {
    const user = (content: string) => ({ role: "user", content });
    expect(scriptReply([user("what is 6 times 7")], "stub-chat")).toMatchObject({ kind: "text" });
    expect(scriptReply([user("what is 6 times 7")], "offline-demo")).toMatchObject({ kind: "tools" });
    expect(scriptReply([user("what is 6 times 7 [[error:500]]")], "offline-demo")).toMatchObject({
      kind: "error",
      status: 500,
    });
    // The tool result comes back after an assistant message that called the tool.
    const conversation = [
      user("what is 6 times 7"),
      {
        role: "assistant",
        tool_calls: [{ id: "c1", type: "function", function: { name: "code_execution", arguments: "{}" } }],
      },
      { role: "tool", content: JSON.stringify({ stdout: "42\n", exitCode: 0 }) },
    ];
    const r = scriptReply(conversation, "offline-demo");
    expect(r.kind === "text" && r.chunks.join("")).toContain("= 42");
  });
});
