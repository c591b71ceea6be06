// pino: JSON lines in production, pretty in a terminal during development; secrets redacted by path.
import pino, { type Logger } from "pino";
import { singleton } from "../singleton";
import { traceFields, tracingEnabled } from "../tracing/spans";

export const REDACT_PATHS = [
  "password",
  "*.password",
  "token",
  "*.token",
  "apiKey",
  "*.apiKey",
  "secret",
  "*.secret",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "headers.cookie",
  "req.headers.authorization",
  "req.headers.cookie",
  'res.headers["set-cookie"]',
];

export interface LoggerOptions {
  level?: string;
  pretty?: boolean;
  name?: string;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino({
    name: opts.name ?? "somaagent",
    level: opts.level ?? "info",
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    // Each line names the span it was written in (trace_id, span_id), so a trace leads to its logs
    // and back. Only while tracing: otherwise no per-line hook at all.
    ...(tracingEnabled() ? { mixin: traceFields } : {}),
    ...(opts.pretty
      ? {
          transport: {
            target: "pino-pretty",
            options: { colorize: true, translateTime: "HH:MM:ss.l", ignore: "pid,hostname" },
          },
        }
      : {}),
  });
}

let defaults: LoggerOptions = {};
/** Set once by each process's bootstrap, before the first log line. */
export function configureLogger(opts: LoggerOptions): void {
  defaults = opts;
}

export function logger(): Logger {
  return singleton("logger", () => createLogger(defaults));
}
