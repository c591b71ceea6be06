// The warm sandbox pool's bookkeeping, with stand-in processes: a warm sandbox serves only a call of
// exactly its kind (session workspace, uid, runtime, limits), once; the pool stays within its size
// and kills what waits too long. tests/int/executor-sandbox.int.test.ts runs real ones.
import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Launched, LaunchSpec } from "@/lib/sandbox/launch";
import { IDLE_MS, WarmPool, warmKey } from "@/lib/sandbox/warm-pool";

interface Fake extends Launched {
  spec: LaunchSpec;
  exit(): void;
  released: boolean;
}

function fakeLaunch(started: Fake[]) {
  return (spec: LaunchSpec): Launched => {
    let exit!: () => void;
    // Its input closed, the runtime reads an empty program and exits.
    const stdin = { end: () => exit() };
    const child = Object.assign(new EventEmitter(), {
      exitCode: null as number | null,
      signalCode: null,
      stdin,
    });
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      exit = () => {
        child.exitCode = 0;
        resolve({ code: 0, signal: null });
      };
    });
    const fake = {
      spec,
      child,
      cgroup: undefined,
      stdout: "",
      stderr: "",
      outcome: "exited",
      closed,
      released: false,
      exit,
      kill(why: Launched["outcome"]) {
        if (fake.outcome === "exited") fake.outcome = why;
        exit();
      },
      release() {
        fake.released = true;
      },
    } as unknown as Fake;
    started.push(fake);
    return fake;
  };
}

const limits = {
  timeoutMs: 5_000,
  memoryBytes: 256 << 20,
  cpuSeconds: 10,
  maxProcesses: 32,
  outputBytes: 65_536,
  tmpBytes: 64 << 20,
  uid: 60_001,
};
const python = (over: Partial<LaunchSpec> = {}): LaunchSpec => ({
  command: ["python3", "-u", "-"],
  workspace: "/ws/session-a",
  limits,
  limitAddressSpace: true,
  ...over,
});

afterEach(() => vi.useRealTimers());

describe("warm sandboxes", () => {
  it("serves the next call of the same kind once, and nothing else", () => {
    const started: Fake[] = [];
    const pool = new WarmPool(fakeLaunch(started), () => 8);
    expect(pool.take(python())).toBeUndefined();
    pool.prepare(python());
    expect(started).toHaveLength(1);
    // Another session (its workspace and uid), another runtime, other limits: not this one.
    expect(pool.take(python({ workspace: "/ws/session-b" }))).toBeUndefined();
    expect(pool.take(python({ limits: { ...limits, uid: 60_002 } }))).toBeUndefined();
    expect(pool.take(python({ command: ["node", "-"] }))).toBeUndefined();
    expect(pool.take(python({ limits: { ...limits, memoryBytes: 128 << 20 } }))).toBeUndefined();
    // The timeout is armed when the call starts, so it is not part of the kind.
    expect(pool.take(python({ limits: { ...limits, timeoutMs: 1_000 } }))).toBe(started[0]);
    expect(pool.take(python())).toBeUndefined(); // used once
    expect(pool.size).toBe(0);
  });

  it("keeps one per kind and at most `max`, dropping the oldest", () => {
    const started: Fake[] = [];
    let max = 2;
    const pool = new WarmPool(fakeLaunch(started), () => max);
    pool.prepare(python());
    pool.prepare(python()); // one is waiting already
    expect(started).toHaveLength(1);
    pool.prepare(python({ workspace: "/ws/b" }));
    pool.prepare(python({ workspace: "/ws/c" }));
    expect(pool.size).toBe(2);
    expect(started[0]!.outcome).toBe("cancelled"); // the oldest was ended
    expect(pool.take(python())).toBeUndefined();
    max = 0;
    pool.prepare(python({ workspace: "/ws/d" }));
    expect(started).toHaveLength(3);
  });

  it("does not hand out one that died while waiting", async () => {
    const started: Fake[] = [];
    const pool = new WarmPool(fakeLaunch(started), () => 8);
    pool.prepare(python());
    started[0]!.exit();
    await started[0]!.closed;
    await Promise.resolve();
    expect(pool.take(python())).toBeUndefined();
    expect(started[0]!.released).toBe(true);
  });

  it("kills one left unused for IDLE_MS", async () => {
    vi.useFakeTimers();
    const started: Fake[] = [];
    const pool = new WarmPool(fakeLaunch(started), () => 8);
    pool.prepare(python());
    vi.advanceTimersByTime(IDLE_MS - 1);
    expect(started[0]!.outcome).toBe("exited");
    vi.advanceTimersByTime(1);
    expect(started[0]!.outcome).toBe("cancelled");
    expect(pool.take(python())).toBeUndefined();
    await vi.runAllTimersAsync();
    expect(started[0]!.released).toBe(true);
  });

  it("names a kind by everything it is started with", () => {
    expect(warmKey(python())).toBe(warmKey(python({ limits: { ...limits, timeoutMs: 9 } })));
    for (const other of [
      python({ network: true }),
      python({ env: { A: "1" } }),
      python({ readOnly: ["/x"] }),
      python({ limitAddressSpace: false }),
      python({ limits: { ...limits, tmpBytes: 1 } }),
      python({ limits: { ...limits, cpuSeconds: 1 } }),
      python({ limits: { ...limits, maxProcesses: 8 } }),
      python({ limits: { ...limits, outputBytes: 1024 } }),
    ])
      expect(warmKey(other)).not.toBe(warmKey(python()));
  });
});
