// How late this process's event loop runs (node:perf_hooks' monitorEventLoopDelay, 10 ms resolution):
// a bench prints it beside its figures, so time a figure spent waiting for its own process is seen.
import { monitorEventLoopDelay } from "node:perf_hooks";

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

export function loopDelayMonitor() {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  return {
    /** Delay since the last reset, in ms beyond the 10 ms sampling interval. */
    take(): LoopDelay {
      const ms = (ns: number) => Math.max(0, ns / 1e6 - 10);
      const out = { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) };
      h.reset();
      return out;
    },
  };
}

export const fmtLoop = (d: LoopDelay) =>
  `p50 ${d.p50.toFixed(1)}, p99 ${d.p99.toFixed(1)}, max ${d.max.toFixed(0)} ms`;
