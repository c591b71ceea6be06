// A trace's context as it travels with work to another place: an outbox row (trace_context), a
// Kafka message (its headers), a BullMQ job (its data, beside the message), a callback request (its
// headers). W3C Trace Context (traceparent, tracestate) through the propagator the SDK registered.
// Whatever arrives is checked before use: a carrier is a few short strings or nothing.
import { context, propagation, ROOT_CONTEXT, type Context } from "@opentelemetry/api";
import type { IHeaders } from "kafkajs";
import { z } from "zod";
import { tracingEnabled } from "./state";

/** `traceparent` (and `tracestate`) as W3C Trace Context writes them. */
export type TraceCarrier = { traceparent: string; tracestate?: string };

const KEYS = ["traceparent", "tracestate"] as const;

/** W3C sizes: a traceparent is 55 characters (version 00), a tracestate at most 32 entries of 256. */
export const traceCarrierSchema = z.object({
  traceparent: z.string().min(1).max(128),
  tracestate: z.string().max(8192).optional(),
});

/** The carrier of a context (the active one by default); undefined while off or outside a trace. */
export function injectCarrier(ctx: Context = context.active()): TraceCarrier | undefined {
  if (!tracingEnabled()) return undefined;
  const out: Record<string, string> = {};
  propagation.inject(ctx, out);
  const parsed = traceCarrierSchema.safeParse(out);
  return parsed.success ? parsed.data : undefined;
}

/** A context to parent spans on; the root context for anything that is not a carrier. */
export function contextFrom(carrier: unknown): Context {
  const parsed = traceCarrierSchema.safeParse(carrier);
  if (!parsed.success) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, parsed.data);
}

/** A stored or received carrier, checked; undefined when absent or malformed. */
export function parseCarrier(value: unknown): TraceCarrier | undefined {
  if (value === null || value === undefined) return undefined;
  const parsed = traceCarrierSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** Kafka message headers for a carrier (none without one). */
export function kafkaHeaders(carrier: TraceCarrier | undefined): IHeaders | undefined {
  if (!carrier) return undefined;
  return carrier.tracestate
    ? { traceparent: carrier.traceparent, tracestate: carrier.tracestate }
    : { traceparent: carrier.traceparent };
}

/** The carrier in a Kafka message's headers (Buffers as kafkajs delivers them), if a valid one. */
export function carrierFromKafkaHeaders(headers: IHeaders | undefined): TraceCarrier | undefined {
  if (headers?.traceparent === undefined) return undefined; // most messages, while tracing is off
  const out: Record<string, string> = {};
  for (const key of KEYS) {
    const raw = headers[key];
    const first = Array.isArray(raw) ? raw[0] : raw;
    if (first !== undefined) out[key] = Buffer.isBuffer(first) ? first.toString("utf8") : first;
  }
  return parseCarrier(out);
}

/** A BullMQ job's data: the message and key, with the carrier beside them when there is one. */
export interface JobData {
  key: string;
  value: string;
  trace?: TraceCarrier;
}

export function jobData(key: string, value: string, carrier: TraceCarrier | undefined): JobData {
  return carrier ? { key, value, trace: carrier } : { key, value };
}

/** The carrier in a job's data (jobs queued before tracing, or by anything else, have none). */
export function carrierFromJobData(data: { trace?: unknown }): TraceCarrier | undefined {
  return parseCarrier(data.trace);
}

/** HTTP headers for a carrier (the executor's result callback). */
export function httpHeaders(carrier: TraceCarrier | undefined): Record<string, string> {
  return carrier ? { ...carrier } : {};
}

/** The carrier in a request's headers (a Fetch Headers object). */
export function carrierFromHttpHeaders(headers: Headers): TraceCarrier | undefined {
  const traceparent = headers.get("traceparent");
  if (!traceparent) return undefined;
  const tracestate = headers.get("tracestate");
  return parseCarrier(tracestate ? { traceparent, tracestate } : { traceparent });
}
