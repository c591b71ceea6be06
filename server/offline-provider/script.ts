// What the test provider answers, decided only by the conversation it is sent (deterministic).
// Directives in the last user message script the reply:
//   (none)                         stream "Echo: <text>" word by word
//   [[tool:NAME {json args}]]      call a tool (several directives: several calls in one reply);
//                                  once the results are back, answer with a summary of them
//   [[bad-args]] / [[bad-args-twice]]  call code_execution with malformed JSON arguments once / twice
//   [[loop]]                       call code_execution on every step (never a final answer)
//   [[response]]                   finish through the `response` tool
//   [[slow]]                       stream 300 words, 100 ms apart
//   [[delay:MS]]                   wait MS before each chunk
//   [[error:STATUS]]               answer with that HTTP status (429 carries Retry-After: 1)
//   [[fail-mid]]                   stream a few words, then an error event (a 500 mid-stream)
//   [[markdown]]                   answer with a heading, a list and a fenced code block
// Spoken phrases (e2e/fixtures/voice/phrases.txt) stand for directives, since a voice cannot say
// brackets: "please run the calculator tool" runs code_execution, "tell me a long story about the
// sea" answers with a story about 20 s long (for interruptions).
// The offline demo model (`offline-*`) answers plain requests without directives (demo.ts).
import { demoReply } from "./demo";

export type { StubReply, StubToolCall } from "./reply";
import type { StubReply } from "./reply";

interface ChatMessage {
  role: string;
  content?: unknown;
  tool_calls?: unknown[];
}

function text(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content
      .map((p) => (typeof p === "object" && p && "text" in p ? String((p as { text: unknown }).text) : ""))
      .join("");
  return "";
}

function words(s: string): string[] {
  return s.split(/(?<=\s)/).filter(Boolean);
}

const MARKDOWN = [
  "## Result\n\n",
  "Here is a list:\n\n- one\n- two\n\n",
  "And some code:\n\n```python\nprint(sum(range(10)))\n```\n",
];

function lastToolResult(after: ChatMessage[]): { name: string; result: string } | undefined {
  const result = after.findLast((m) => m.role === "tool");
  const asked = after.findLast((m) => m.role === "assistant" && Array.isArray(m.tool_calls));
  const fn = (asked?.tool_calls?.[0] as { function?: { name?: unknown } } | undefined)?.function;
  if (!result || typeof fn?.name !== "string") return undefined;
  return { name: fn.name, result: text(result.content) };
}

/** What each spoken test phrase stands for. */
const SPOKEN: Record<string, string> = {
  "please run the calculator tool": '[[tool:code_execution {"runtime": "python", "code": "print(6 * 7)"}]]',
  "tell me a long story about the sea": "[[story]]",
};

/**
 * Makes a known phrase stand for another directive in this process's stub (a bench that needs a
 * tool call by voice which no phrase asks for); returns what puts the phrase back.
 */
export function sayStandsFor(phrase: string, directive: string): () => void {
  const before = SPOKEN[phrase];
  SPOKEN[phrase] = directive;
  return () => {
    if (before === undefined) delete SPOKEN[phrase];
    else SPOKEN[phrase] = before;
  };
}

const STORY =
  "Once upon a time, a small boat sailed out on a calm grey sea. The fisherman on board sang an old song " +
  "while the gulls circled above him. The wind rose slowly, and the waves grew taller with every hour. " +
  "He pulled in his nets and found them full of silver fish. By the evening the sky had turned orange, " +
  "and the lighthouse on the point began to blink. He turned the boat toward home and followed its light " +
  "across the water. His family waited on the shore with lanterns, and together they carried the fish " +
  "up the hill to the village, where everyone shared a warm supper by the fire.";

export function scriptReply(messages: ChatMessage[], model = ""): StubReply {
  const lastUserIndex = messages.map((m) => m.role).lastIndexOf("user");
  const said = lastUserIndex >= 0 ? text(messages[lastUserIndex]!.content) : "";
  const prompt = SPOKEN[said.trim().toLowerCase()] ?? said;
  const after = messages.slice(lastUserIndex + 1);
  const toolResults = after.filter((m) => m.role === "tool");
  const delayMatch = /\[\[delay:(\d+)\]\]/.exec(prompt);
  const delayMs = /\[\[slow\]\]/.test(prompt) ? 100 : delayMatch ? Number(delayMatch[1]) : 15;
  if (model.startsWith("offline-") && !/\[\[[a-z-]+(:[^\]]*)?\]\]/.test(prompt))
    return demoReply(prompt, lastToolResult(after), delayMs);

  const status = /\[\[error:(\d{3})\]\]/.exec(prompt);
  if (status) return { kind: "error", status: Number(status[1]), message: `scripted error ${status[1]}` };

  const badArgs = /\[\[bad-args(-twice)?\]\]/.exec(prompt);
  if (badArgs) {
    const attempts = after.filter((m) => m.role === "assistant").length;
    const bad = attempts === 0 || (badArgs[1] !== undefined && attempts === 1);
    if (bad)
      return { kind: "tools", delayMs, calls: [{ name: "code_execution", arguments: '{"code": print(' }] };
    if (toolResults.length > 0 && attempts === 1)
      return {
        kind: "tools",
        delayMs,
        calls: [
          {
            name: "code_execution",
            arguments: JSON.stringify({ runtime: "python", code: "print('repaired')" }),
          },
        ],
      };
    return { kind: "text", delayMs, chunks: words(`Repaired: ${text(toolResults.at(-1)?.content)}`) };
  }

  if (/\[\[loop\]\]/.test(prompt))
    return {
      kind: "tools",
      delayMs,
      calls: [{ name: "code_execution", arguments: JSON.stringify({ runtime: "python", code: "print(1)" }) }],
    };

  if (/\[\[response\]\]/.test(prompt) && toolResults.length === 0)
    return {
      kind: "tools",
      delayMs,
      calls: [
        { name: "response", arguments: JSON.stringify({ text: "Final answer via the response tool." }) },
      ],
    };

  const tools = [...prompt.matchAll(/\[\[tool:([a-z_]+) (\{.*?\})\]\]/g)];
  if (tools.length > 0 && toolResults.length === 0)
    return { kind: "tools", delayMs, calls: tools.map((m) => ({ name: m[1]!, arguments: m[2]! })) };
  if (tools.length > 0) {
    const summary = toolResults.map((m) => text(m.content)).join("\n");
    return { kind: "text", delayMs, chunks: words(`The tool returned:\n\n${summary}`) };
  }

  if (/\[\[slow\]\]/.test(prompt))
    return { kind: "text", delayMs, chunks: Array.from({ length: 300 }, (_, i) => `word${i} `) };
  if (/\[\[markdown\]\]/.test(prompt)) return { kind: "text", delayMs, chunks: MARKDOWN };
  if (/\[\[story\]\]/.test(prompt)) return { kind: "text", delayMs, chunks: words(STORY) };
  const clean = prompt.replace(/\[\[[^\]]*\]\]/g, "").trim();
  const chunks = words(`Echo: ${clean || "(empty)"}`);
  if (/\[\[fail-mid\]\]/.test(prompt)) return { kind: "text", delayMs, chunks, failAfter: 2 };
  return { kind: "text", delayMs, chunks };
}

/** Rough token count: what the stub reports as usage. */
export function countTokens(s: string): number {
  return Math.max(1, Math.ceil(s.length / 4));
}
