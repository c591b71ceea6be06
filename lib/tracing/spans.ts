// Spans on our own code paths (docs/operations.md, "Tracing"). Only @opentelemetry/api is loaded here,
// never the SDK: while tracing is off (OTEL_EXPORTER_OTLP_ENDPOINT unset) every helper is one flag
// check and then the wrapped work itself, with no span, context or attribute object made.
import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from "@opentelemetry/api";
import { contextFrom, injectCarrier, type TraceCarrier } from "./propagation";
import { tracingEnabled } from "./state";

export { tracingEnabled } from "./state";

export const TRACER_NAME = "somaagent";

const KINDS = {
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
  internal: SpanKind.INTERNAL,
} as const;

export interface SpanOptions {
  kind?: keyof typeof KINDS;
  attributes?: Attributes;
  /**
   * The trace this span continues when the work came from elsewhere (a bus message, an outbox row):
   * its carrier, or null for none (a new trace). Absent: the active span is the parent.
   */
  parent?: TraceCarrier | null;
}

/** A span in progress, or the no-op one while tracing is off. */
export interface TraceSpan {
  set(attributes: Attributes): void;
  /** Runs fn with this span active: spans made inside are its children, log lines carry its ids. */
  run<T>(fn: () => T): T;
  /** This span's W3C trace context, for a message or row that takes the work to another process. */
  carrier(): TraceCarrier | undefined;
  /** Ends the span; an error (or a message) marks it failed, saying why. */
  end(err?: unknown): void;
}

/** The span of work done while tracing is off (or outside any trace): it does nothing. */
export const NO_SPAN: TraceSpan = {
  set: () => undefined,
  run: (fn) => fn(),
  carrier: () => undefined,
  end: () => undefined,
};

function parentContext(parent: TraceCarrier | null | undefined, hasParent: boolean): Context {
  if (!hasParent) return context.active();
  return parent ? contextFrom(parent) : ROOT_CONTEXT;
}

function markFailed(span: Span, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: message.slice(0, 500) });
  if (err instanceof Error) span.recordException(err);
}

class LiveSpan implements TraceSpan {
  private readonly ctx: Context;
  constructor(
    private readonly span: Span,
    parent: Context,
  ) {
    this.ctx = trace.setSpan(parent, span);
  }
  set(attributes: Attributes): void {
    this.span.setAttributes(attributes);
  }
  run<T>(fn: () => T): T {
    return context.with(this.ctx, fn);
  }
  carrier(): TraceCarrier | undefined {
    return injectCarrier(this.ctx);
  }
  end(err?: unknown): void {
    if (err !== undefined) markFailed(this.span, err);
    this.span.end();
  }
}

/** Starts a span that outlives the current call (a turn, a publish): end it yourself. */
export function openSpan(name: string, opts: SpanOptions = {}): TraceSpan {
  if (!tracingEnabled()) return NO_SPAN;
  const parent = parentContext(opts.parent, "parent" in opts);
  const span = trace
    .getTracer(TRACER_NAME)
    .startSpan(
      name,
      { kind: KINDS[opts.kind ?? "internal"], ...(opts.attributes ? { attributes: opts.attributes } : {}) },
      parent,
    );
  return new LiveSpan(span, parent);
}

/** Runs fn inside a span that ends when fn settles (failed, with the reason, when fn throws). */
export async function withSpan<T>(
  name: string,
  opts: SpanOptions,
  fn: (span: TraceSpan) => Promise<T>,
): Promise<T> {
  if (!tracingEnabled()) return fn(NO_SPAN);
  const span = openSpan(name, opts);
  try {
    const result = await span.run(() => fn(span));
    span.end();
    return result;
  } catch (err) {
    span.end(err);
    throw err;
  }
}

/** The active span's ids for a log line (pino's mixin), empty while tracing is off or outside a span. */
export function traceFields(): { trace_id?: string; span_id?: string } {
  if (!tracingEnabled()) return {};
  const sc = trace.getActiveSpan()?.spanContext();
  if (!sc || !trace.isSpanContextValid(sc)) return {};
  return { trace_id: sc.traceId, span_id: sc.spanId };
}

/**
 * Attribute names. OpenTelemetry's stable ones come from @opentelemetry/semantic-conventions where
 * they are used; the GenAI and messaging ones are still "incubating" there (renamed between minor
 * versions), so their current names are copied here, as that package advises. Ours are somaagent.*.
 */
export const ATTR = {
  genAiOperation: "gen_ai.operation.name",
  genAiProvider: "gen_ai.provider.name",
  genAiRequestModel: "gen_ai.request.model",
  genAiInputTokens: "gen_ai.usage.input_tokens",
  genAiOutputTokens: "gen_ai.usage.output_tokens",
  messagingSystem: "messaging.system",
  messagingDestination: "messaging.destination.name",
  messagingOperation: "messaging.operation.type",
  messagingBatchCount: "messaging.batch.message_count",
  sessionId: "somaagent.session_id",
  turnId: "somaagent.turn_id",
  tenantId: "somaagent.tenant_id",
  tool: "somaagent.tool",
  /** How many tool calls a model stream asked for. */
  toolCalls: "somaagent.tool_calls",
  toolCallId: "somaagent.tool_call_id",
  toolStatus: "somaagent.tool_status",
  turnStatus: "somaagent.turn_status",
  executorId: "somaagent.executor_id",
  attempt: "somaagent.attempt",
  decision: "somaagent.decision",
  /** Answered from the process's cache (OpenFGA checks), no round trip. */
  cached: "somaagent.cached",
  relation: "somaagent.relation",
  policySource: "somaagent.policy_source",
  policyAction: "somaagent.policy_action",
  errorCode: "somaagent.error_code",
  socketEvent: "somaagent.socket_event",
  requestId: "somaagent.request_id",
  voiceCallId: "somaagent.voice_call_id",
  /** Speech recognised during a pause, before the utterance was known to be over. */
  speculative: "somaagent.speculative",
  characters: "somaagent.characters",
  scheduleRunId: "somaagent.schedule_run_id",
  scheduleOutcome: "somaagent.schedule_outcome",
} as const;
