// The OpenTelemetry SDK, started by each process before anything else (server/tracing.ts,
// workers/*/tracing.ts are their entry files' first import) when OTEL_EXPORTER_OTLP_ENDPOINT is set.
// Unset, the SDK is never loaded: it is required here, synchronously, only on that path, so the module
// that imports this one finishes starting it before the entry file's next import is evaluated (an
// ESM top-level await would not hold its siblings back).
// Spans only: Prometheus scrapes the metrics and pino writes the logs, so the SDK's metric and log
// exporters (on by default) are turned off. Exporter settings are OpenTelemetry's own variables
// (OTEL_EXPORTER_OTLP_*, OTEL_BSP_*, OTEL_TRACES_SAMPLER), read by the SDK.
import { createRequire } from "node:module";
import { diag, DiagLogLevel, type DiagLogger } from "@opentelemetry/api";
import type { NodeSDK, NodeSDKConfiguration } from "@opentelemetry/sdk-node";
import type { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { tracingEndpoint, type EnvMap } from "../config/env";
import { existingSingleton } from "../singleton";
import type { Logger } from "pino";
import { setTracingEnabled, tracingEnabled } from "./state";

type SpanProcessor = NonNullable<NodeSDKConfiguration["spanProcessors"]>[number];

export type ServiceName = "somaagent-gateway" | "somaagent-tool-executor" | "somaagent-scheduler";

let sdk: NodeSDK | undefined;

/** The SDK's own complaints (an export that failed), once a minute per message, as log lines. */
function diagnostics(service: string): DiagLogger {
  const lastSaid = new Map<string, number>();
  const say =
    (level: "warn" | "error") =>
    (message: string, ...args: unknown[]) => {
      const now = Date.now();
      if (now - (lastSaid.get(message) ?? 0) < 60_000) return;
      lastSaid.set(message, now);
      const detail = args.map((a) => (a instanceof Error ? a.message : String(a))).join(" ");
      // Before the process has configured its logger, a line on stderr (making the logger here would
      // fix its options before the bootstrap sets them).
      const log = existingSingleton<Logger>("logger");
      if (log) log[level]({ component: "tracing", detail }, `tracing: ${message}`);
      else process.stderr.write(`${service} tracing ${level}: ${message} ${detail}\n`);
    };
  const quiet = () => undefined;
  return { error: say("error"), warn: say("warn"), info: quiet, debug: quiet, verbose: quiet };
}

/**
 * Starts tracing for this process when an OTLP endpoint is configured; returns whether it did.
 * `spanProcessors` replaces the OTLP exporter (tests keep spans in memory).
 */
export function startTracing(
  service: ServiceName,
  opts: { env?: EnvMap; spanProcessors?: SpanProcessor[] } = {},
): boolean {
  if (tracingEnabled()) return true;
  if (!opts.spanProcessors && !tracingEndpoint(opts.env)) return false;
  const require = createRequire(import.meta.url);
  const { NodeSDK: Sdk } = require("@opentelemetry/sdk-node") as { NodeSDK: typeof NodeSDK };
  diag.setLogger(diagnostics(service), DiagLogLevel.WARN);
  const sdkOptions: Partial<NodeSDKConfiguration> = {
    serviceName: service,
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  };
  if (opts.spanProcessors) sdkOptions.spanProcessors = opts.spanProcessors;
  else {
    const otlp = require("@opentelemetry/exporter-trace-otlp-http") as {
      OTLPTraceExporter: typeof OTLPTraceExporter;
    };
    // Batched (OTEL_BSP_* tune it), to OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces as OTLP/HTTP JSON.
    sdkOptions.traceExporter = new otlp.OTLPTraceExporter();
  }
  sdk = new Sdk(sdkOptions);
  sdk.start();
  setTracingEnabled(true);
  return true;
}

/** Sends the spans still buffered and stops (a process's shutdown; at most `timeoutMs`). */
export async function stopTracing(timeoutMs = 5_000): Promise<void> {
  const s = sdk;
  if (!s) return;
  sdk = undefined;
  setTracingEnabled(false);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    s.shutdown(),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}
