// What the model sees: the system prompt and the session's history as chat messages. The history is
// cached in Redis (short-term context) and rebuilt from Postgres when missing; long sessions are
// trimmed from the oldest end to fit the model's context window.
import type { Redis } from "ioredis";
import type OpenAI from "openai";
import type { Db } from "../server/db";

export type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;

export interface StoredToolCall {
  id: string;
  name: string;
  arguments: string;
}

const CACHE_TTL_S = 3600;
const TOOL_RESULT_CHARS = 16_000;
export const contextCacheKey = (sessionId: string) => `session:${sessionId}:context`;

export const BASE_SYSTEM_PROMPT = [
  "You are SomaAgent, a helpful assistant that can run tools in a sandbox.",
  "Use tools when they help: code_execution runs code, workspace_files reads and writes files,",
  "http_request fetches allowed URLs, memory_* tools remember things across sessions.",
  "Answer in Markdown. Keep answers concise.",
].join(" ");

export function systemPrompt(additions: string): string {
  return additions.trim() ? `${BASE_SYSTEM_PROMPT}\n\n${additions.trim()}` : BASE_SYSTEM_PROMPT;
}

export function toolResultText(text: string): string {
  return text.length > TOOL_RESULT_CHARS ? `${text.slice(0, TOOL_RESULT_CHARS)}\n…(truncated)` : text;
}

/** The history from Postgres: complete pairs only (a tool call without its result gets one). */
export async function historyFromDb(db: Db, sessionId: string): Promise<ChatMessage[]> {
  const rows = await db.message.findMany({
    where: { sessionId },
    orderBy: { position: "asc" },
    select: { role: true, content: true, toolCalls: true, toolCallId: true },
  });
  const out: ChatMessage[] = [];
  const answered = new Set(rows.filter((r) => r.role === "tool").map((r) => r.toolCallId));
  for (const [i, row] of rows.entries()) {
    if (row.role === "user") out.push({ role: "user", content: row.content });
    else if (row.role === "assistant") {
      const calls = (row.toolCalls as StoredToolCall[] | null) ?? [];
      out.push({
        role: "assistant",
        content: row.content || null,
        ...(calls.length
          ? {
              tool_calls: calls.map((c) => ({
                id: c.id,
                type: "function" as const,
                function: { name: c.name, arguments: c.arguments },
              })),
            }
          : {}),
      });
      // Calls whose results never arrived (an interrupted turn) still need an answer for the model.
      const nextRows = rows.slice(i + 1);
      for (const c of calls)
        if (!answered.has(c.id) && !nextRows.some((r) => r.toolCallId === c.id))
          out.push({ role: "tool", tool_call_id: c.id, content: "(no result: the turn was interrupted)" });
    } else if (row.role === "tool" && row.toolCallId)
      out.push({ role: "tool", tool_call_id: row.toolCallId, content: toolResultText(row.content) });
  }
  return out;
}

/**
 * The session's history as its last turn left it in the cache; null when not there or unreadable
 * (Redis down, a damaged entry): it is then rebuilt from Postgres. Never rejects, so a read started
 * ahead and never awaited (the turn refused meanwhile) cannot surface as an unhandled rejection.
 */
export function readCachedHistory(redis: Redis, sessionId: string): Promise<ChatMessage[] | null> {
  return redis.get(contextCacheKey(sessionId)).then(
    (cached) => {
      if (!cached) return null;
      try {
        return JSON.parse(cached) as ChatMessage[];
      } catch {
        return null;
      }
    },
    () => null,
  );
}

/**
 * The history from the cache (`cached`: a read already under way) or, when not there, from Postgres.
 * The cache predates the turn's message (`fromCache`); Postgres already has it.
 */
export async function loadHistory(
  db: Db,
  redis: Redis,
  sessionId: string,
  cached: Promise<ChatMessage[] | null> = readCachedHistory(redis, sessionId),
): Promise<{ history: ChatMessage[]; fromCache: boolean }> {
  const history = await cached;
  if (history) return { history, fromCache: true };
  return { history: await historyFromDb(db, sessionId), fromCache: false };
}

export async function saveHistory(redis: Redis, sessionId: string, history: ChatMessage[]): Promise<void> {
  await redis
    .set(contextCacheKey(sessionId), JSON.stringify(history), "EX", CACHE_TTL_S)
    .catch(() => undefined);
}

export async function dropHistory(redis: Redis, sessionId: string): Promise<void> {
  await redis.del(contextCacheKey(sessionId)).catch(() => undefined);
}

export function estimateTokens(m: ChatMessage): number {
  return Math.ceil(JSON.stringify(m).length / 4) + 4;
}

/**
 * Fits the history into the window: drops the oldest exchanges (an assistant message and its tool
 * results go together; the history never starts with a tool result), keeps the latest user message.
 */
export function trimToWindow(
  system: ChatMessage,
  history: ChatMessage[],
  contextLength: number,
): { messages: ChatMessage[]; dropped: number } {
  const reserve = Math.min(4096, Math.floor(contextLength / 4));
  const budget = contextLength - reserve - estimateTokens(system);
  let total = history.reduce((n, m) => n + estimateTokens(m), 0);
  let start = 0;
  const lastUser = history.map((m) => m.role).lastIndexOf("user");
  while (total > budget && start < Math.max(lastUser, 0)) {
    total -= estimateTokens(history[start]!);
    start++;
    while (start < history.length && history[start]!.role === "tool") {
      total -= estimateTokens(history[start]!);
      start++;
    }
  }
  return { messages: [system, ...history.slice(start)], dropped: start };
}
