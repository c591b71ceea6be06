// One tool call from the gateway, however it was asked for (a model in a turn, a realtime function
// call, POST /api/v1/tools/{name}/invoke): enqueued with its outbox row, the relay nudged, and the
// caller woken when an executor has recorded the result (or at the deadline, or when stopped).
import { randomUUID } from "node:crypto";
import { getConfig } from "../config";
import type { Db } from "../server/db";
import { enqueueToolCall, type ToolCallInput } from "./dispatch";
import { listenForToolCall, type FinishedToolCall } from "./result-notify";
import { toolRuntime } from "./runtime";
import { toolCallMetrics } from "./metrics";
import { ATTR, withSpan } from "../tracing/spans";

export interface CalledTool {
  toolCallId: string;
  /** The finished call; null when no result came in `waitMs` or the caller stopped waiting. */
  done: FinishedToolCall | null;
  durationMs: number;
  waitMs: number;
}

export async function callTool(
  db: Db,
  input: ToolCallInput,
  opts: { signal?: AbortSignal; onQueued?: (toolCallId: string) => void } = {},
): Promise<CalledTool> {
  // One span from the outbox row to the result in hand; the executor's spans are its descendants
  // (through the outbox row, the relay's publish and the bus message).
  return withSpan(
    "tool.call",
    { attributes: { [ATTR.tool]: input.tool, [ATTR.sessionId]: input.sessionId } },
    async (span) => {
      const started = performance.now();
      const rt = toolRuntime();
      const toolCallId = input.toolCallId ?? randomUUID();
      span.set({ [ATTR.toolCallId]: toolCallId });
      // The executor's own timeout, plus time for the queue and the way back.
      const waitMs = getConfig().settings.agent.toolTimeoutMs + 30_000;
      // Listening before the call exists: its result cannot come first, so no read is needed before
      // waiting.
      const listener = await listenForToolCall(db, rt.waiters, toolCallId);
      let done: FinishedToolCall | null;
      try {
        await withSpan(
          "outbox.insert",
          { attributes: { [ATTR.tool]: input.tool, [ATTR.toolCallId]: toolCallId } },
          (insert) => enqueueToolCall(db, { ...input, toolCallId }, insert.carrier()),
        );
        rt.relay.kick();
        opts.onQueued?.(toolCallId);
        done = await listener.wait(waitMs, opts.signal);
      } finally {
        listener.stop();
      }
      const ms = performance.now() - started;
      span.set({ [ATTR.toolStatus]: done?.status ?? (opts.signal?.aborted ? "stopped" : "timeout") });
      // A caller that stopped waiting (a cancelled turn) says nothing about the round trip.
      if (done || !opts.signal?.aborted)
        toolCallMetrics().roundTrip(input.tool, done?.status ?? "timeout", ms / 1000);
      return { toolCallId, done, durationMs: Math.round(ms), waitMs };
    },
  );
}
