// Trace context across process boundaries: a span's carrier written where the work goes (Kafka
// headers, BullMQ job data, an outbox row, callback headers) and read back on the other side makes
// the receiver's span a child of the sender's, in the same trace. Anything else that arrives there
// (garbage, oversized values, other types) starts a trace of its own instead of joining one. And
// while tracing is off, nothing is loaded or made.
import { createRequire } from "node:module";
import { afterAll, describe, expect, it } from "vitest";
import { context, propagation, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace";
import type { IHeaders } from "kafkajs";
import {
  carrierFromHttpHeaders,
  carrierFromJobData,
  carrierFromKafkaHeaders,
  httpHeaders,
  injectCarrier,
  jobData,
  kafkaHeaders,
  parseCarrier,
  type TraceCarrier,
} from "@/lib/tracing/propagation";
import { NO_SPAN, openSpan, traceFields, tracingEnabled, withSpan } from "@/lib/tracing/spans";
import { startTracing, stopTracing } from "@/lib/tracing/start";

const SDK_LOADED = () =>
  Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes("@opentelemetry/sdk-node"));

/** Kafka hands headers back as Buffers. */
const asDelivered = (headers: IHeaders | undefined): IHeaders =>
  Object.fromEntries(
    Object.entries(headers ?? {}).map(([k, v]) => [k, Buffer.from(typeof v === "string" ? v : "")]),
  );

describe("tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)", () => {
  it("does not load the SDK and makes no spans or carriers", async () => {
    expect(startTracing("somaagent-gateway", { env: {} })).toBe(false);
    expect(tracingEnabled()).toBe(false);
    expect(SDK_LOADED()).toBe(false);
    expect(openSpan("turn")).toBe(NO_SPAN);
    let seen: unknown;
    await withSpan("turn", {}, async (span) => {
      seen = span;
      expect(injectCarrier()).toBeUndefined();
      expect(traceFields()).toEqual({});
    });
    expect(seen).toBe(NO_SPAN);
    expect(kafkaHeaders(injectCarrier())).toBeUndefined();
    expect(jobData("k", "v", injectCarrier())).toEqual({ key: "k", value: "v" });
    expect(httpHeaders(undefined)).toEqual({});
  });
});

describe("tracing on", () => {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor({ exporter });
  /** The spans ended so far (export waits for the resource's detectors, so flushed first). */
  const finished = async () => {
    await processor.forceFlush();
    return exporter.getFinishedSpans();
  };
  afterAll(async () => {
    await stopTracing();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  const start = () => {
    if (!tracingEnabled()) startTracing("somaagent-gateway", { spanProcessors: [processor] });
    exporter.reset();
  };

  /** A producer span's carrier, as `write` stores it and `read` gets it back elsewhere. */
  async function roundTrip(read: (carrier: TraceCarrier | undefined) => TraceCarrier | undefined) {
    const producer = openSpan("outbox.publish", { kind: "producer", parent: null });
    const received = read(producer.carrier());
    producer.end();
    const consumer = openSpan("executor.process", { kind: "consumer", parent: received ?? null });
    consumer.end();
    const spans = await finished();
    const [sent, got] = ["outbox.publish", "executor.process"].map((name) =>
      spans.find((s) => s.name === name)!,
    );
    return { sent: sent!, got: got! };
  }

  it("continues the trace through Kafka headers (delivered as Buffers)", async () => {
    start();
    const { sent, got } = await roundTrip((c) => carrierFromKafkaHeaders(asDelivered(kafkaHeaders(c))));
    expect(got.spanContext().traceId).toBe(sent.spanContext().traceId);
    expect(got.parentSpanContext?.spanId).toBe(sent.spanContext().spanId);
  });

  it("continues the trace through BullMQ job data (stored as JSON)", async () => {
    start();
    const { sent, got } = await roundTrip((c) => {
      const data = jobData("session", '{"version":1}', c);
      expect(data.value).toBe('{"version":1}'); // the message itself is untouched
      return carrierFromJobData(JSON.parse(JSON.stringify(data)) as { trace?: unknown });
    });
    expect(got.spanContext().traceId).toBe(sent.spanContext().traceId);
    expect(got.parentSpanContext?.spanId).toBe(sent.spanContext().spanId);
  });

  it("continues the trace through an outbox row's jsonb and the callback's headers", async () => {
    start();
    const row = await roundTrip((c) => parseCarrier(JSON.parse(JSON.stringify(c)) as unknown));
    expect(row.got.parentSpanContext?.spanId).toBe(row.sent.spanContext().spanId);
    exporter.reset();
    const http = await roundTrip((c) => carrierFromHttpHeaders(new Headers(httpHeaders(c))));
    expect(http.got.parentSpanContext?.spanId).toBe(http.sent.spanContext().spanId);
  });

  it("starts a new trace for carriers that are not one", async () => {
    start();
    const bogus: unknown[] = [
      { traceparent: "not-a-traceparent" },
      { traceparent: `00-${"a".repeat(32)}-${"b".repeat(16)}-01${"x".repeat(200)}` },
      { traceparent: 42 },
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      [{ traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }],
    ];
    for (const value of bogus) {
      exporter.reset();
      const span = openSpan("executor.process", { parent: parseCarrier(value) ?? null });
      span.end();
      const [got] = await finished();
      expect(got!.parentSpanContext, JSON.stringify(value)).toBeUndefined();
      expect(got!.spanContext().traceId).not.toBe("0af7651916cd43dd8448eb211c80319c");
    }
    expect(carrierFromJobData({ trace: { traceparent: 7 } })).toBeUndefined();
    expect(carrierFromKafkaHeaders({})).toBeUndefined();
    expect(carrierFromKafkaHeaders({ traceparent: [Buffer.from("x".repeat(500))] })).toBeUndefined();
  });

  it("parents nested spans on the active one, names them in log fields, and fails them on errors", async () => {
    start();
    let fields: ReturnType<typeof traceFields> = {};
    await expect(
      withSpan("turn", {}, async (turn) => {
        await withSpan("model.stream", {}, async () => {
          fields = traceFields();
        });
        expect(turn.carrier()?.traceparent).toContain(fields.trace_id);
        throw new Error("provider down");
      }),
    ).rejects.toThrow("provider down");
    const spans = await finished();
    const turn = spans.find((s) => s.name === "turn")!;
    const model = spans.find((s) => s.name === "model.stream")!;
    expect(model.parentSpanContext?.spanId).toBe(turn.spanContext().spanId);
    expect(fields).toEqual({ trace_id: model.spanContext().traceId, span_id: model.spanContext().spanId });
    expect(turn.status).toMatchObject({ code: 2, message: "provider down" });
    expect(model.status.code).not.toBe(2);
  });
});
