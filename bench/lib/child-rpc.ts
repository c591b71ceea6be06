// Benchmark processes that answer requests over IPC, and one clock for all of them. A bench that
// times something across processes stamps both ends with `stamp()`: performance.timeOrigin + now(),
// milliseconds since the epoch at sub-microsecond resolution, comparable between processes of one
// machine (checked each run by `clockCheck`, not assumed).
import { fork, type ChildProcess } from "node:child_process";
import { monitorEventLoopDelay } from "node:perf_hooks";

export const stamp = (): number => performance.timeOrigin + performance.now();

type Handler = (req: { type: string } & Record<string, unknown>) => unknown;

/**
 * In the child: answers each request with `handle`'s result (or its error), and, for every child, the
 * clock check and its event-loop delay (`lag-reset`, then `lag`: the delay in between).
 */
export function serve(handle: Handler): void {
  const lag = loopDelay();
  process.on("message", (m: { id: number; req: { type: string } & Record<string, unknown> }) => {
    if (m.req.type === "clock") return void process.send!({ id: m.id, reply: { at: stamp() } });
    if (m.req.type === "lag-reset") {
      lag.reset();
      return void process.send!({ id: m.id, reply: null });
    }
    if (m.req.type === "lag") return void process.send!({ id: m.id, reply: lag.read() });
    Promise.resolve()
      .then(() => handle(m.req))
      .then(
        (reply) => process.send!({ id: m.id, reply: reply ?? null }),
        (e: unknown) => process.send!({ id: m.id, error: e instanceof Error ? e.stack : String(e) }),
      );
  });
  // The bench is gone (done or failed): nothing here is worth keeping.
  process.on("disconnect", () => process.exit(0));
}

/** A bench process: `ask` sends a request and resolves with its reply. */
export interface Child {
  child: ChildProcess;
  ask<T>(req: { type: string } & Record<string, unknown>): Promise<T>;
  /** Messages the child sends by itself (not replies). */
  onPush(listener: (m: Record<string, unknown>) => void): void;
  stop(): Promise<void>;
}

/** Forks `file` under tsx with IPC; resolves once it has sent `{ready: …}` (its value returned too). */
export async function forkChild<R>(
  file: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<Child & { ready: R }> {
  const child = fork(file, args, {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let id = 0;
  const waiting = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();
  const pushListeners: ((m: Record<string, unknown>) => void)[] = [];
  let readyValue: R | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    child.on("message", (m: Record<string, unknown>) => {
      if ("ready" in m) {
        readyValue = m.ready as R;
        return resolve();
      }
      if (typeof m.id !== "number") {
        for (const l of pushListeners) l(m);
        return;
      }
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (typeof m.error === "string") w?.reject(new Error(`${file}: ${m.error}`));
      else w?.resolve(m.reply);
    });
    child.once("exit", (code, signal) => {
      const e = new Error(`${file} exited (${code ?? signal})`);
      reject(e);
      for (const w of waiting.values()) w.reject(e);
      waiting.clear();
    });
  });
  await ready;
  return {
    child,
    ready: readyValue as R,
    ask: <T>(req: { type: string } & Record<string, unknown>) =>
      new Promise<T>((resolve, reject) => {
        waiting.set(++id, { resolve: resolve as (r: unknown) => void, reject });
        child.send({ id, req });
      }),
    onPush: (l) => pushListeners.push(l),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once("exit", r));
      child.disconnect();
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

/**
 * How far a child's clock may be from this process's: `stamp()` here, there, here again, `rounds`
 * times. Whatever the offset θ (child − parent), there − sent ≥ θ and back − there ≥ −θ, so θ lies
 * within [−min(back − there), min(there − sent)]: both bounds small and positive = one clock.
 */
export async function clockCheck(c: Child, rounds = 50): Promise<{ low: number; high: number }> {
  let toChild = Infinity;
  let toParent = Infinity;
  for (let i = 0; i < rounds; i++) {
    const sent = stamp();
    const { at } = await c.ask<{ at: number }>({ type: "clock" });
    const back = stamp();
    toChild = Math.min(toChild, at - sent);
    toParent = Math.min(toParent, back - at);
  }
  return { low: -toParent, high: toChild };
}

/** This process's event-loop delay (1 ms resolution), from `reset()` to `read()`. */
export function loopDelay(): { reset(): void; read(): { p50: number; p99: number; max: number } } {
  let h: ReturnType<typeof monitorEventLoopDelay> | undefined;
  return {
    reset() {
      h?.disable();
      h = monitorEventLoopDelay({ resolution: 1 });
      h.enable();
    },
    read() {
      if (!h) return { p50: NaN, p99: NaN, max: NaN };
      h.disable();
      return { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
    },
  };
}
