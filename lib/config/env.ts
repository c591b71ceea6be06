// The one module that reads process.env. Everything else receives values from lib/config.
export type EnvMap = Record<string, string | undefined>;

export function processEnv(): EnvMap {
  return process.env;
}

/** Secrets (provider API keys, signing keys) are read by name, never copied into settings. */
export function readSecret(name: string, env: EnvMap = process.env): string | undefined {
  const v = env[name];
  return v === undefined || v === "" ? undefined : v;
}

export function isDevelopment(env: EnvMap = process.env): boolean {
  return env.NODE_ENV !== "production" && env.NODE_ENV !== "test";
}

/**
 * Where spans go (OpenTelemetry's own variables, so any collector's docs apply): set, every process
 * starts the OpenTelemetry SDK first; unset, the SDK is never loaded (lib/tracing/start.ts).
 */
export function tracingEndpoint(env: EnvMap = process.env): string | undefined {
  return (
    readSecret("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", env) ?? readSecret("OTEL_EXPORTER_OTLP_ENDPOINT", env)
  );
}
