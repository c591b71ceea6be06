// What the offline demo model (`offline-*` models) answers to plain requests, so a first run with no
// API key can show what the agent does: arithmetic runs `code_execution`, "remember that …" and
// "what do you remember about …" use the memory tools, "fetch …" explains the allow-list, anything
// else gets a short, honest reply. Deterministic, like the rest of the offline provider.
import type { StubReply } from "./reply";

/** The last tool the demo model called in this turn, with its result as the agent sent it back. */
export interface DemoToolResult {
  name: string;
  result: string;
}

const words = (s: string) => s.split(/(?<=\s)/).filter(Boolean);
const say = (text: string, delayMs: number): StubReply => ({ kind: "text", delayMs, chunks: words(text) });
const call = (name: string, args: unknown, delayMs: number): StubReply => ({
  kind: "tools",
  delayMs,
  calls: [{ name, arguments: JSON.stringify(args) }],
});

const NUMBER_WORDS: Record<string, string> = {
  zero: "0",
  one: "1",
  two: "2",
  three: "3",
  four: "4",
  five: "5",
  six: "6",
  seven: "7",
  eight: "8",
  nine: "9",
  ten: "10",
  eleven: "11",
  twelve: "12",
  twenty: "20",
  hundred: "100",
  thousand: "1000",
};

/**
 * A Python expression for an arithmetic request ("what is 6 times 7", "calculate (2+3)*4",
 * "2 to the power of 10"), or undefined when the request is not arithmetic.
 */
export function arithmeticOf(request: string): string | undefined {
  let s = ` ${request.toLowerCase()} `;
  const ask = /\b(what(?:'s| is)|calculate|compute|how much is|evaluate|solve)\b/.test(s);
  for (const [w, n] of Object.entries(NUMBER_WORDS)) s = s.replace(new RegExp(`\\b${w}\\b`, "g"), n);
  s = s
    .replace(/\bto the power of\b|\braised to\b|\^/g, " ** ")
    .replace(/\bmultiplied by\b|\btimes\b|×|(?<=\d\s*)x(?=\s*[\d(])/g, " * ")
    .replace(/\bdivided by\b|\bover\b|÷/g, " / ")
    .replace(/\bplus\b|\badded to\b/g, " + ")
    .replace(/\bminus\b/g, " - ")
    .replace(/\bmod(?:ulo)?\b/g, " % ")
    .replace(/\bsquared\b/g, " ** 2 ")
    .replace(/(?<=\d),(?=\d{3}\b)/g, "");
  const match = /[-(]*\s*\d[\d\s.+\-*/%()]*/.exec(s);
  if (!match) return undefined;
  const expr = match[0]
    .replace(/\s+/g, " ")
    .trim()
    .replace(/\s*([+\-*/%()])\s*/g, "$1")
    .replace(/\*\*/g, " ** ");
  const hasOperator = /\d\s*(\*\*|[+\-*/%])\s*[\d(-]/.test(expr);
  if (!hasOperator || !(ask || /^[\d\s.+\-*/%()]+\??$/.test(request.trim()))) return undefined;
  let depth = 0;
  for (const ch of expr) {
    depth += ch === "(" ? 1 : ch === ")" ? -1 : 0;
    if (depth < 0) return undefined;
  }
  return depth === 0 ? expr : undefined;
}

const REMEMBER = /^\s*(?:please\s+)?remember(?:\s+that)?\s+(.+?)[.!]?\s*$/i;
const RECALL =
  /^\s*(?:what\s+do\s+you\s+(?:remember|know|recall)\s+about|what\s+did\s+i\s+tell\s+you\s+about|do\s+you\s+remember|recall)\s+(.+?)\??\s*$/i;
const FETCH = /^\s*(?:please\s+)?(?:fetch|download|open|browse|get)\s+(?:the\s+page\s+)?(\S+)/i;
const GREETING = /^\s*(hi|hello|hey|help|what can you do|who are you)\b/i;

const TRY =
  'Try "what is 6 times 7", "remember that my favourite colour is green", or "what do you remember about my favourite colour".';

/** An expression as a person writes it: 6 × 7, 2^10. */
const shown = (expr: string) =>
  expr
    .replace(/ \*\* /g, "^")
    .replace(/\*/g, " × ")
    .replace(/\//g, " ÷ ");

function parsed(content: string): unknown {
  try {
    return JSON.parse(content);
  } catch {
    return undefined;
  }
}

/** The answer once the tool this module asked for has returned. */
function afterTool(tool: string, result: string, request: string, delayMs: number): StubReply {
  const data = parsed(result) as Record<string, unknown> | undefined;
  if (!data || result.startsWith("Error"))
    return say(`The ${tool} tool did not succeed: ${result.slice(0, 300)}`, delayMs);
  if (tool === "code_execution") {
    const out = typeof data.stdout === "string" ? data.stdout.trim() : "";
    return say(
      out
        ? `${shown(arithmeticOf(request) ?? request)} = ${out}. (I worked it out by running Python in the sandbox.)`
        : `The program printed nothing (exit code ${String(data.exitCode)}).`,
      delayMs,
    );
  }
  if (tool === "memory_save")
    return say(`Saved to memory: "${REMEMBER.exec(request)?.[1] ?? request}".`, delayMs);
  if (tool === "memory_search") {
    const matches = Array.isArray(data.matches) ? (data.matches as { content?: unknown }[]) : [];
    if (matches.length === 0) return say("I have no memory about that yet.", delayMs);
    const list = matches.map((m) => `- ${String(m.content)}`).join("\n");
    return say(`Here is what I remember:\n\n${list}`, delayMs);
  }
  return say(`The ${tool} tool returned: ${result.slice(0, 500)}`, delayMs);
}

/** The demo model's reply to the last user request (and the tool result that came back, if any). */
export function demoReply(request: string, lastTool: DemoToolResult | undefined, delayMs: number): StubReply {
  if (lastTool) return afterTool(lastTool.name, lastTool.result, request, delayMs);

  const expr = arithmeticOf(request);
  if (expr) return call("code_execution", { runtime: "python", code: `print(${expr})` }, delayMs);
  const remember = REMEMBER.exec(request);
  if (remember) return call("memory_save", { content: remember[1] }, delayMs);
  const recall = RECALL.exec(request);
  if (recall) return call("memory_search", { query: recall[1] }, delayMs);
  const fetch = FETCH.exec(request);
  if (fetch)
    return say(
      `Fetching ${fetch[1]} would go through the http_request tool, which only reaches the hosts an ` +
        "operator has put on the allow-list (SOMA_TOOLS_HTTP_ALLOWED_HOSTS, empty by default, so nothing " +
        "is reachable). I am the offline demo model and do not browse myself: allow the host and configure " +
        "a real model in Settings → Models to fetch pages.",
      delayMs,
    );
  if (GREETING.test(request))
    return say(
      "Hello! I am SomaAgent's offline demo model: my answers are scripted, but the tools I call are real " +
        `(a Python sandbox and a memory store). ${TRY} For real answers, add an API key or choose a local ` +
        "model in Settings → Models.",
      delayMs,
    );
  const echo = request.length > 200 ? `${request.slice(0, 200)}…` : request;
  return say(
    `I am the offline demo model, so I cannot really answer "${echo}": my replies are scripted. ${TRY} ` +
      "For real answers, add an API key or choose a local model in Settings → Models.",
    delayMs,
  );
}
