// Sandboxes started ahead of their call. When a call that asks for it (code_execution) ends, the tool
// host starts the next sandbox of exactly that kind (same session workspace, uid, runtime and
// limits) and leaves it waiting on stdin, with its namespaces, cgroup and interpreter already up;
// the session's next call of that kind writes its program into it instead of starting one (a
// Python start is most of a cold call: docs/sandbox.md, "Warm sandboxes").
//
// What keeps this as tight as a cold start:
// - a warm sandbox is made for one session (its uid and its workspace are in the key) and serves
//   one call: it never ran anything before, and is discarded after, like a cold one;
// - its limits are the call's: the wall-clock timeout starts when the call's program is written;
//   CPU seconds count from its start, but an interpreter waiting on stdin spends none;
// - one per key, at most `max` in all (the least recently made goes first), each killed after
//   IDLE_MS unused; the tool host's exit takes them down (bwrap --die-with-parent).
import type { Launched, LaunchSpec } from "./launch";

/** A warm sandbox unused this long is killed (well under the workspace's idle unmount, 10 min). */
export const IDLE_MS = 60_000;

interface Warm {
  launched: Launched;
  timer: NodeJS.Timeout;
}

/** The call's kind: everything a sandbox is started with (a change of any limit makes a new kind). */
export function warmKey(spec: LaunchSpec): string {
  const { timeoutMs: _armedAtUse, ...limits } = spec.limits;
  return JSON.stringify([
    spec.command,
    spec.workspace ?? "",
    spec.network ?? false,
    spec.readOnly ?? [],
    spec.env ?? {},
    spec.limitAddressSpace ?? false,
    limits,
  ]);
}

export class WarmPool {
  /** By key; a Map keeps insertion order, so the first entry is the least recently made. */
  private warm = new Map<string, Warm>();

  constructor(
    private readonly start: (spec: LaunchSpec) => Launched,
    private readonly max: () => number,
  ) {}

  get size(): number {
    return this.warm.size;
  }

  /** The warm sandbox of this kind, if one is waiting and still alive; it leaves the pool. */
  take(spec: LaunchSpec): Launched | undefined {
    const key = warmKey(spec);
    const w = this.warm.get(key);
    if (!w) return undefined;
    this.warm.delete(key);
    clearTimeout(w.timer);
    const { child } = w.launched;
    if (child.exitCode === null && child.signalCode === null && w.launched.outcome === "exited")
      return w.launched;
    this.discard(w.launched);
    return undefined;
  }

  /** Starts a sandbox of this kind for a later call, unless one is waiting or the pool is off. */
  prepare(spec: LaunchSpec): void {
    const max = this.max();
    if (max <= 0) return;
    const key = warmKey(spec);
    if (this.warm.has(key)) return;
    while (this.warm.size >= max) {
      const [oldest, w] = this.warm.entries().next().value as [string, Warm];
      this.warm.delete(oldest);
      clearTimeout(w.timer);
      this.discard(w.launched);
    }
    const launched = this.start(spec);
    const timer = setTimeout(() => {
      if (this.warm.get(key)?.launched !== launched) return;
      this.warm.delete(key);
      this.discard(launched);
    }, IDLE_MS);
    timer.unref();
    this.warm.set(key, { launched, timer });
    // One that dies while waiting (it could not start) leaves at once: the next call starts cold.
    void launched.closed.then(() => {
      if (this.warm.get(key)?.launched !== launched) return;
      clearTimeout(timer);
      this.warm.delete(key);
      launched.release();
    });
  }

  /** Kills every waiting sandbox (the tool host is stopping). */
  close(): void {
    for (const w of this.warm.values()) {
      clearTimeout(w.timer);
      this.discard(w.launched);
    }
    this.warm.clear();
  }

  /**
   * Ends a waiting sandbox: its input closed, the runtime reads an empty program and exits, and the
   * sandbox comes down in order (a kill would leave its namespace's init to the system's init to
   * reap). Killed if it has not ended in a few seconds.
   */
  private discard(launched: Launched): void {
    launched.outcome = "cancelled";
    launched.child.stdin.end();
    const timer = setTimeout(() => launched.kill("cancelled"), 3_000);
    timer.unref();
    void launched.closed.then(() => {
      clearTimeout(timer);
      launched.release();
    });
  }
}
