// The agent loop of one turn: stream a completion, run the tools it asks for through the bus, feed
// the results back, until a final answer (or the `response` tool), the step limit, the deadline or
// a cancellation. Malformed tool arguments get one repair attempt, then the turn fails readably.
import { randomUUID } from "node:crypto";
import type OpenAI from "openai";
import { z } from "zod";
import { getConfig } from "../config";
import { logger } from "../server/logger";
import { findTool, listTools } from "../tools/registry";
import { callTool } from "../tool-calls/call";
import { cancelToolCalls } from "../tool-calls/cancel";
import type { ToolStatus } from "../tool-status";
import {
  loadHistory,
  saveHistory,
  systemPrompt,
  toolResultText,
  trimToWindow,
  type ChatMessage,
  type StoredToolCall,
} from "./context";
import { describeProviderError, modelTarget, type ModelTarget } from "./model-client";
import type { ChatChunk } from "./chat-stream";
import type { TurnRecord } from "./turn-record";
import { countProviderTokens, waitForProviderRoom } from "./provider-pacing";
import { turnStartDone, turnStartStage } from "./turn-start-timing";
import { ATTR, openSpan, type TraceSpan } from "../tracing/spans";
import type { Redis } from "ioredis";

export type StopReason = "cancelled" | "deadline" | "shutdown";

export interface TurnInput {
  record: TurnRecord;
  tenantId: string;
  userId: string | null;
  role: "admin" | "member";
  /** The user's message that started the turn (already stored). */
  content: string;
  /** Aborted with a StopReason as its reason. */
  signal: AbortSignal;
  /** The cached history, read while the turn's rows were written (see loadHistory). */
  cachedHistory?: Promise<ChatMessage[] | null>;
  /** The first model request, sent before the turn's rows were written (sendFirstRequest). */
  first?: Promise<FirstRequest | undefined>;
}

export interface TurnOutcome {
  status: "completed" | "failed" | "cancelled" | "interrupted";
  code?: string;
  reason?: string;
  model: string;
  /** What the turn cost when its driver priced it (realtime: per token kind); else from its usage. */
  costUsd?: number;
}

class TurnFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let toolsForModel: OpenAI.Chat.Completions.ChatCompletionTool[] | undefined;

/** Whether settings let the agent use a tool (agent.allowedTools; empty: all; `response` always). */
function toolAllowed(name: string): boolean {
  const allowed = getConfig().settings.agent.allowedTools;
  return allowed.length === 0 || name === "response" || allowed.includes(name);
}

/** The tools as the model sees them (JSON schema from zod, built once per process), as settings allow. */
function openAiTools(): OpenAI.Chat.Completions.ChatCompletionTool[] {
  return allToolsForModel().filter((t) => t.type === "function" && toolAllowed(t.function.name));
}

function allToolsForModel(): OpenAI.Chat.Completions.ChatCompletionTool[] {
  toolsForModel ??= listTools().map((t) => ({
    type: "function",
    function: {
      name: t.name,
      description: t.description,
      parameters: z.toJSONSchema(t.args, { io: "input" }),
    },
  }));
  return toolsForModel;
}

interface StepResult {
  text: string;
  calls: { id: string; name: string; arguments: string }[];
}

/** A model request sent, in its span: read with readStep. */
interface OpenedStep {
  span: TraceSpan;
  stream: Promise<AsyncGenerator<ChatChunk>>;
}

/** Sends one model request, as a span (the model asked, the tokens it counted, its tool calls). */
function openStep(target: ModelTarget, messages: ChatMessage[], signal: AbortSignal): OpenedStep {
  const span = openSpan("model.stream", {
    kind: "client",
    attributes: {
      [ATTR.genAiOperation]: "chat",
      [ATTR.genAiProvider]: target.provider,
      [ATTR.genAiRequestModel]: target.model,
    },
  });
  const stream = span.run(() =>
    target.openChatStream(
      {
        ...target.params,
        model: target.model,
        messages,
        tools: openAiTools(),
        temperature: target.temperature,
        stream_options: { include_usage: true },
      },
      signal,
    ),
  );
  // Awaited by readStep; a step given up unread (sendFirstRequest's) must not be an unhandled rejection.
  stream.catch(() => undefined);
  return { span, stream };
}

/**
 * The history fitted to the window, the provider's per-minute room waited for, the request sent.
 * Undefined when the turn was stopped while it waited.
 */
async function sendStep(
  target: ModelTarget,
  history: ChatMessage[],
  redis: Redis,
  signal: AbortSignal,
  log: ReturnType<typeof logger>,
): Promise<OpenedStep | undefined> {
  const system: ChatMessage = {
    role: "system",
    content: systemPrompt(getConfig().settings.agent.systemPrompt),
  };
  const { messages, dropped } = trimToWindow(system, history, target.contextLength);
  if (dropped > 0) log.debug({ dropped }, "trimmed the oldest messages to fit the context window");
  const { waitedMs } = await waitForProviderRoom(redis, target, signal);
  if (waitedMs > 0) log.info({ waitedMs }, "waited for the provider's per-minute limit");
  if (signal.aborted) return undefined;
  turnStartDone();
  return openStep(target, messages, signal);
}

/** Reads a sent step's answer into the turn, and ends its span. */
async function readStep(step: OpenedStep, input: TurnInput): Promise<StepResult> {
  const { usage } = input.record;
  const [prompt, completion] = [usage.promptTokens, usage.completionTokens];
  const tokens = () => ({
    [ATTR.genAiInputTokens]: usage.promptTokens - prompt,
    [ATTR.genAiOutputTokens]: usage.completionTokens - completion,
  });
  try {
    const result = await step.span.run(() => streamCompletion(step.stream, input));
    step.span.set({ [ATTR.toolCalls]: result.calls.length, ...tokens() });
    step.span.end();
    return result;
  } catch (err) {
    step.span.set(tokens());
    step.span.end(err);
    throw err;
  }
}

async function streamCompletion(
  opened: Promise<AsyncGenerator<ChatChunk>>,
  input: TurnInput,
): Promise<StepResult> {
  const { record } = input;
  const assistant = record.startAssistant();
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
  const stream = await opened;
  try {
    for await (const chunk of stream) {
      if (chunk.usage) {
        record.usage.promptTokens += chunk.usage.prompt_tokens;
        record.usage.completionTokens += chunk.usage.completion_tokens;
      }
      const delta = chunk.choices[0]?.delta;
      if (!delta) continue;
      if (delta.content) assistant.delta(delta.content);
      for (const tc of delta.tool_calls ?? []) {
        const call = calls.get(tc.index) ?? { id: "", name: "", arguments: "" };
        if (tc.id) call.id = tc.id;
        if (tc.function?.name) call.name += tc.function.name;
        if (tc.function?.arguments) call.arguments += tc.function.arguments;
        calls.set(tc.index, call);
      }
    }
  } catch (err) {
    // Whatever arrived is kept: a partial answer stays visible after a failure or a stop.
    await assistant.complete([]);
    throw err;
  }
  if (input.signal.aborted) {
    await assistant.complete([]);
    return { text: assistant.text, calls: [] };
  }
  // Our own ids name the calls from here on (tool_calls ids, tool-call rows, tool messages).
  const stored: StoredToolCall[] = [...calls.values()].map((c) => ({
    id: randomUUID(),
    name: c.name,
    arguments: c.arguments,
  }));
  await assistant.complete(stored);
  return { text: assistant.text, calls: stored };
}

/**
 * A turn's first model request, sent while its rows are written and its start announced
 * (TurnManager.begin), so the provider's time to answer overlaps ours. It is built from the cached
 * history, which predates the turn's message either way (the session's last turn saved it before
 * giving up its lease). Nothing is written or sent to the session's followers before the turn has
 * started: the answer waits in the connection until runTurn reads it. discardFirstRequest ends the
 * request when the turn does not start after all.
 */
export interface FirstRequest {
  target: ModelTarget;
  /** The history the request was built from, the turn's message last. */
  history: ChatMessage[];
  step: OpenedStep;
}

/**
 * Sends the first request when the history is cached and a chat model is configured; undefined
 * otherwise (the turn then asks once it has started, as it always did) or when it was stopped while
 * waiting for the provider's room. Never rejects: a failure here is met again, and reported, on the
 * turn's own path.
 */
export async function sendFirstRequest(
  redis: Redis,
  content: string,
  cached: Promise<ChatMessage[] | null>,
  signal: AbortSignal,
): Promise<FirstRequest | undefined> {
  try {
    const target = modelTarget("chat");
    const before = await cached;
    if (!before) return undefined;
    const history: ChatMessage[] = [...before, { role: "user", content }];
    turnStartStage("history");
    const step = await sendStep(target, history, redis, signal, logger());
    return step && { target, history, step };
  } catch {
    return undefined;
  }
}

/** Ends a first request the turn will not read. */
export function discardFirstRequest(first: Promise<FirstRequest | undefined>, stop: AbortController): void {
  stop.abort("discarded");
  void first.then((f) => f?.step.span.end());
}

export type ParsedCall =
  | { ok: true; id: string; name: string; args: Record<string, unknown> }
  | { ok: false; id: string; name: string; error: string };

/** A model's tool call checked before it runs: a known tool, allowed by settings, with valid arguments. */
export function parseCall(c: { id: string; name: string; arguments: string }): ParsedCall {
  const tool = findTool(c.name);
  if (!tool) return { ok: false, id: c.id, name: c.name, error: `There is no tool named "${c.name}".` };
  if (!toolAllowed(c.name))
    return { ok: false, id: c.id, name: c.name, error: `The tool "${c.name}" is turned off in settings.` };
  let raw: unknown;
  try {
    raw = JSON.parse(c.arguments || "{}");
  } catch (e) {
    return {
      ok: false,
      id: c.id,
      name: c.name,
      error: `The arguments are not valid JSON: ${(e as Error).message}`,
    };
  }
  const parsed = tool.args.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      id: c.id,
      name: c.name,
      error: `Invalid arguments: ${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "rejected"}`,
    };
  }
  return { ok: true, id: c.id, name: c.name, args: raw as Record<string, unknown> };
}

/**
 * A tool's output as soon as it is known, and its tool message being written (in the turn's write
 * order, TurnRecord.queueWrite): the caller need not wait for the row to pass the output on.
 * `recorded` never rejects; it resolves to the write's error, if there was one, which the caller
 * must report (the turn fails: a result the model used is missing from the history).
 */
export interface ToolOutput {
  content: string;
  recorded: Promise<Error | undefined>;
}

/** Queues the tool message: see ToolOutput. */
function recordToolMessage(record: TurnRecord, toolCallId: string, content: string): ToolOutput {
  const recorded = record.toolMessage(toolCallId, content).then(
    () => undefined,
    (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
  );
  return { content, recorded };
}

async function runToolCall(call: Extract<ParsedCall, { ok: true }>, input: TurnInput): Promise<ToolOutput> {
  const { record } = input;
  const { done, durationMs } = await callTool(
    record.db,
    {
      toolCallId: call.id,
      sessionId: record.sessionId,
      tenantId: input.tenantId,
      ...(input.userId ? { actor: { userId: input.userId, role: input.role } } : {}),
      turnId: record.turnId,
      tool: call.name,
      arguments: call.args,
    },
    {
      signal: input.signal,
      onQueued: () =>
        void record.emit({
          type: "tool.started",
          turnId: record.turnId,
          toolCallId: call.id,
          tool: call.name,
          arguments: call.args,
        }),
    },
  );
  if (!done) {
    const stopped = input.signal.aborted;
    if (stopped) await cancelToolCalls(record.db, record.redis, [call.id], "the turn was stopped");
    const error = stopped ? "stopped with the turn" : "no result in time; the call may still run";
    void record.emit({
      type: "tool.finished",
      turnId: record.turnId,
      toolCallId: call.id,
      tool: call.name,
      status: stopped ? "killed" : "timeout",
      error,
      durationMs,
    });
    return recordToolMessage(record, call.id, `Error: ${error}`);
  }
  const status = done.status as ToolStatus;
  void record.emit({
    type: "tool.finished",
    turnId: record.turnId,
    toolCallId: call.id,
    tool: call.name,
    status,
    ...(done.result === null ? {} : { result: done.result }),
    ...(done.error ? { error: done.error } : {}),
    durationMs,
  });
  const content =
    status === "succeeded"
      ? JSON.stringify(done.result)
      : `Error (${status}): ${done.error ?? "no details"}${done.result === null ? "" : `\n${JSON.stringify(done.result)}`}`;
  return recordToolMessage(record, call.id, toolResultText(content));
}

/**
 * One tool call asked for by a model outside this loop (the realtime provider): checked and run as
 * the turn's own calls are (allowed tools, the bus, the executor, audit), recorded in the turn.
 * Returns what goes back to the model (the result, or the error) as soon as it is known, with its
 * tool message still being written (ToolOutput).
 */
export async function callToolFor(
  input: TurnInput,
  call: { id: string; name: string; arguments: string },
): Promise<ToolOutput> {
  const p = parseCall(call);
  if (p.ok && p.name !== "response") return runToolCall(p, input);
  const error = p.ok ? `The tool "${p.name}" is not offered here.` : p.error;
  void input.record.emit({
    type: "tool.finished",
    turnId: input.record.turnId,
    toolCallId: call.id,
    tool: call.name,
    status: "failed",
    error,
    durationMs: 0,
  });
  return recordToolMessage(input.record, call.id, `Error: ${error}`);
}

/** The tools a realtime session offers, in the Realtime API's shape (as settings allow). */
export function realtimeTools(): {
  type: "function";
  name: string;
  description: string;
  parameters: unknown;
}[] {
  return openAiTools()
    .flatMap((t) => (t.type === "function" ? [t.function] : []))
    .filter((f) => f.name !== "response")
    .map((f) => ({
      type: "function",
      name: f.name,
      description: f.description ?? "",
      parameters: f.parameters,
    }));
}

export function stopOutcome(signal: AbortSignal, model: string): TurnOutcome {
  const why = signal.reason as StopReason;
  if (why === "deadline")
    return {
      status: "failed",
      code: "deadline",
      reason: "The turn took longer than its deadline and was stopped.",
      model,
    };
  if (why === "shutdown")
    return {
      status: "interrupted",
      code: "shutdown",
      reason: "The gateway stopped while this turn ran.",
      model,
    };
  return { status: "cancelled", model };
}

export async function runTurn(input: TurnInput): Promise<TurnOutcome> {
  const { record } = input;
  const { settings } = getConfig();
  const log = logger().child({ turnId: record.turnId, sessionId: record.sessionId });
  // Sent before the turn started (sendFirstRequest), or undefined: asked below, as always.
  const first = await input.first;
  let target: ModelTarget;
  try {
    target = first?.target ?? modelTarget("chat");
  } catch (err) {
    return {
      status: "failed",
      code: "provider_not_configured",
      reason: (err as Error).message,
      model: settings.models.chat.name,
    };
  }
  let history: ChatMessage[];
  if (first) history = first.history;
  else {
    const loaded = await loadHistory(record.db, record.redis, record.sessionId, input.cachedHistory);
    history = loaded.history;
    // The cached history predates this turn's message; one rebuilt from Postgres already has it.
    if (loaded.fromCache) history.push({ role: "user", content: input.content });
    turnStartStage("history");
  }
  let repaired = false;
  // Tool messages being written while the turn goes on (ToolOutput): the next model request does not
  // wait for them (the turn's writes keep their order), and a failed one fails the turn once seen.
  const recording: Promise<Error | undefined>[] = [];
  const recorded = async () => {
    const failed = (await Promise.all(recording.splice(0))).find((err) => err !== undefined);
    if (!failed) return;
    log.error({ err: failed }, "tool message not recorded");
    throw new TurnFailure("not_recorded", "A tool's result could not be saved, so the turn was stopped.");
  };
  try {
    for (let step = 1; step <= settings.agent.maxSteps; step++) {
      record.steps = step;
      const tokensBefore = record.usage.promptTokens + record.usage.completionTokens;
      const opened =
        step === 1 && first ? first.step : await sendStep(target, history, record.redis, input.signal, log);
      if (input.signal.aborted) {
        opened?.span.end();
        return stopOutcome(input.signal, target.model);
      }
      if (!opened) return stopOutcome(input.signal, target.model);
      const result = await readStep(opened, input);
      await recorded();
      await countProviderTokens(
        record.redis,
        target,
        record.usage.promptTokens + record.usage.completionTokens - tokensBefore,
      ).catch(() => undefined);
      if (input.signal.aborted) return stopOutcome(input.signal, target.model);
      history.push({
        role: "assistant",
        content: result.text || null,
        ...(result.calls.length
          ? {
              tool_calls: result.calls.map((c) => ({
                id: c.id,
                type: "function" as const,
                function: { name: c.name, arguments: c.arguments },
              })),
            }
          : {}),
      });
      if (result.calls.length === 0) return { status: "completed", model: target.model };

      const parsed = result.calls.map(parseCall);
      const bad = parsed.filter((p) => !p.ok);
      if (bad.length > 0 && repaired) {
        const b = bad[0] as Extract<ParsedCall, { ok: false }>;
        for (const p of parsed)
          await record.toolMessage(p.id, p.ok ? "Not run: another call was malformed." : `Error: ${p.error}`);
        throw new TurnFailure(
          "malformed_tool_call",
          `The model sent malformed arguments for "${b.name}" again after a repair attempt: ${b.error}`,
        );
      }
      let finalAnswer: string | undefined;
      for (const p of parsed) {
        if (input.signal.aborted) break;
        let content: string;
        if (!p.ok) {
          content = `Error: ${p.error} Fix the arguments and call the tool again.`;
          void record.emit({
            type: "tool.finished",
            turnId: record.turnId,
            toolCallId: p.id,
            tool: p.name,
            status: "failed",
            error: p.error,
            durationMs: 0,
          });
          recording.push(recordToolMessage(record, p.id, content).recorded);
        } else if (p.name === "response") {
          finalAnswer = String(p.args.text);
          content = "Delivered to the user.";
          recording.push(recordToolMessage(record, p.id, content).recorded);
        } else {
          const output = await runToolCall(p, input);
          content = output.content;
          recording.push(output.recorded);
        }
        history.push({ role: "tool", tool_call_id: p.id, content });
      }
      if (bad.length > 0) repaired = true;
      if (input.signal.aborted) return stopOutcome(input.signal, target.model);
      if (finalAnswer !== undefined) {
        const answer = record.startAssistant();
        answer.delta(finalAnswer);
        await answer.complete([]);
        await recorded();
        history.push({ role: "assistant", content: finalAnswer });
        return { status: "completed", model: target.model };
      }
    }
    return {
      status: "failed",
      code: "max_steps",
      reason: `The agent stopped after ${settings.agent.maxSteps} steps without a final answer.`,
      model: target.model,
    };
  } catch (err) {
    if (input.signal.aborted) return stopOutcome(input.signal, target.model);
    if (err instanceof TurnFailure)
      return { status: "failed", code: err.code, reason: err.message, model: target.model };
    const described = describeProviderError(err, target);
    // A provider failure is expected operation: its status and message, not the SDK's stack.
    log.warn(
      { code: described.code, status: (err as { status?: number }).status, error: (err as Error).message },
      "turn failed",
    );
    return { status: "failed", code: described.code, reason: described.reason, model: target.model };
  } finally {
    // Not seen above (the turn ended first): still said.
    for (const err of await Promise.all(recording)) if (err) log.error({ err }, "tool message not recorded");
    await record.flushed();
    await saveHistory(record.redis, record.sessionId, history);
  }
}
