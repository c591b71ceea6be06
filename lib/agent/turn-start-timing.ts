// Where a turn's start goes: from a message received (socket.io `message.send`, POST .../messages)
// to its provider request sent, by stage (authorize, rate_limit, tenant, policy, budget, lease,
// record, event, history, pacing) and in total, as one histogram on the gateway's registry. The clock rides in an
// AsyncLocalStorage started by the message's handler, so the stages in between need no parameter;
// turns started without one (voice, schedules) record nothing.
import { AsyncLocalStorage } from "node:async_hooks";
import client from "prom-client";
import { metrics } from "../server/metrics";
import { singleton } from "../singleton";

export type TurnStartStage =
  | "authorize"
  | "rate_limit"
  | "tenant"
  | "policy"
  | "budget"
  | "lease"
  | "record"
  | "event"
  | "history"
  | "pacing";

interface Clock {
  started: number;
  last: number;
  done: boolean;
}

// On globalThis: Next's route bundles and the custom server each load this module, and a clock
// started in either must be seen by the turn manager the server made.
const clocks = () => singleton("turn-start-clocks", () => new AsyncLocalStorage<Clock>());

function histogram() {
  return singleton(
    "turn-start-metrics",
    () =>
      new client.Histogram({
        name: "somaagent_turn_start_seconds",
        help: "A message received to its turn's provider request sent, by stage (total: the whole of it)",
        labelNames: ["stage"] as const,
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
        registers: [metrics().registry],
      }),
  );
}

/** Runs a message's handler with a turn-start clock started now. */
export function timeTurnStart<T>(fn: () => Promise<T>): Promise<T> {
  const now = performance.now();
  return clocks().run({ started: now, last: now, done: false }, fn);
}

/** The time since the previous stage (or the message) ends `stage`. */
export function turnStartStage(stage: TurnStartStage): void {
  const clock = clocks().getStore();
  if (!clock || clock.done) return;
  const now = performance.now();
  histogram().observe({ stage }, (now - clock.last) / 1000);
  clock.last = now;
}

/** The provider request is being sent: the total is recorded, and later steps record nothing. */
export function turnStartDone(): void {
  const clock = clocks().getStore();
  if (!clock || clock.done) return;
  turnStartStage("pacing");
  clock.done = true;
  histogram().observe({ stage: "total" }, (performance.now() - clock.started) / 1000);
}
