// Whether this process traces: set once by its bootstrap (lib/tracing/start.ts) before anything runs.
// On globalThis: Next's route bundles load their own copy of this module and must see the flag the
// process set, as they share @opentelemetry/api's global providers.
const state = globalThis as unknown as { __somaTracing?: boolean };

export function tracingEnabled(): boolean {
  return state.__somaTracing === true;
}

/** Set by startTracing, and by tests that register a provider of their own. */
export function setTracingEnabled(on: boolean): void {
  state.__somaTracing = on;
}
