// This process's event-loop stalls as intervals on the benches' clock (`stamp()`): a timer asked
// for every `everyMs` that fires more than `overMs` late marks the time between its last two runs
// as a stall. A bench that times something between another process's stamp and its own can then
// say which samples had a stall of its own inside them (time the figure may owe to the bench, not to
// what it measures).
import { stamp } from "./child-rpc";

export function stallRecorder(overMs = 10, everyMs = 2) {
  const stalls: [from: number, to: number][] = [];
  let last = stamp();
  let timer: NodeJS.Timeout;
  const tick = () => {
    const now = stamp();
    if (now - last - everyMs > overMs) stalls.push([last, now]);
    last = now;
    timer = setTimeout(tick, everyMs);
    timer.unref();
  };
  timer = setTimeout(tick, everyMs);
  timer.unref();
  return {
    /** Whether a stall overlapped [from, to]. */
    within: (from: number, to: number) => stalls.some(([a, b]) => b > from && a < to),
    /** Stalls recorded so far (and forgets them). */
    take: () => stalls.splice(0),
    stop: () => clearTimeout(timer),
  };
}
