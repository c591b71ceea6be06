// Call cgroups reused, against directories laid out like cgroupfs (tests/unit/sandbox-cgroup.test.ts
// has the layouts): a cgroup returns to the pool only once empty, is handed out again with its kill
// count re-based, and leftovers of processes that are gone are removed at start.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { detectCgroups } from "@/lib/sandbox/cgroup";
import { CgroupPool, sweepLeftoverCgroups } from "@/lib/sandbox/cgroup-pool";

const made: string[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function v1Root(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "soma-cgroupfs-"));
  made.push(root);
  for (const c of ["memory", "pids"]) {
    fs.mkdirSync(path.join(root, c));
    fs.writeFileSync(path.join(root, c, "cgroup.procs"), "");
  }
  return root;
}

const limits = { memoryBytes: 256 * 1024 * 1024, maxProcesses: 32 };

describe("the cgroup pool", () => {
  it("hands a released, empty cgroup to the next call with the same limits", () => {
    const root = v1Root();
    const pool = new CgroupPool(detectCgroups(root));
    const first = pool.acquire(limits)!;
    const dir = path.dirname(first.procsFiles[0]!);
    expect(path.basename(dir)).toMatch(new RegExp(`^${process.pid}-[0-9a-f-]{36}$`));
    // The kernel killed something in the first call.
    fs.writeFileSync(path.join(dir, "memory.oom_control"), "oom_kill 1\n");
    expect(first.oomKilled()).toBe(true);
    pool.release(first, limits);
    expect(fs.readFileSync(path.join(dir, "memory.force_empty"), "utf8")).toBe("0");
    const second = pool.acquire(limits)!;
    expect(second.procsFiles).toEqual(first.procsFiles);
    expect(second.oomKilled()).toBe(false); // the first call's kill is not the second's
    // Other limits: a cgroup of its own.
    const other = pool.acquire({ ...limits, maxProcesses: 8 })!;
    expect(other.procsFiles[0]).not.toBe(first.procsFiles[0]);
  });

  it("waits for the last process to leave before reusing it", () => {
    vi.useFakeTimers();
    const root = v1Root();
    const pool = new CgroupPool(detectCgroups(root));
    const cg = pool.acquire(limits)!;
    fs.writeFileSync(cg.procsFiles[0]!, "4242\n");
    pool.release(cg, limits);
    const meanwhile = pool.acquire(limits)!;
    expect(meanwhile.procsFiles[0]).not.toBe(cg.procsFiles[0]); // not while a process is in it
    fs.writeFileSync(cg.procsFiles[0]!, "");
    vi.advanceTimersByTime(100);
    expect(pool.acquire(limits)!.procsFiles[0]).toBe(cg.procsFiles[0]);
  });

  it("has none to give where the host has no cgroups", () => {
    expect(new CgroupPool({ version: 0, reason: "none" }).acquire(limits)).toBeUndefined();
  });

  it("removes the empty leftovers of processes that are gone, and nothing in use", () => {
    const root = v1Root();
    const parent = path.join(root, "memory", "somaagent-sandbox");
    const dead = 2 ** 22 + 1; // above pid_max's default ceiling: no such process
    const names = {
      mine: `${process.pid}-a`,
      deadEmpty: `${dead}-b`,
      deadBusy: `${dead}-c`,
      oldUnnamed: "0c0c874c-738c-4e44-9e5f-799ace037a95",
      newUnnamed: "1c0c874c-738c-4e44-9e5f-799ace037a95",
    };
    for (const n of Object.values(names)) fs.mkdirSync(path.join(parent, n), { recursive: true });
    fs.writeFileSync(path.join(parent, names.deadBusy, "cgroup.procs"), "1"); // rmdir refuses it
    const old = new Date(Date.now() - 11 * 60_000);
    fs.utimesSync(path.join(parent, names.oldUnnamed), old, old);
    expect(sweepLeftoverCgroups([parent])).toBe(2);
    expect(fs.readdirSync(parent).sort()).toEqual([names.mine, names.deadBusy, names.newUnnamed].sort());
  });
});
