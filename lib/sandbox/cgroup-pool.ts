// Call cgroups kept for reuse. Making a cgroup is a mkdir and three writes per hierarchy, and an
// rmdir right after a sandbox closes used to fail while its last processes were still leaving
// (v1 never removes a cgroup by itself, so each such call left a directory behind for good). Here a
// call's cgroup goes back to the pool once it is empty, reset for the next call (its kill count
// re-based; on v1 the pages still charged to it reclaimed), and the next call with the same limits
// takes it: only the launcher's join is left on the call's way.
//
// A cgroup holds no data of a call, only its accounting, and the sandbox cannot see which one it is
// in (its own cgroup namespace). Each process's cgroups are named `<pid>-<uuid>`, so the pool never
// hands out another executor's; at start it removes the empty ones of processes that are gone.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { logger } from "../server/logger";
import {
  callCgroupParents,
  cgroupLayout,
  createCallCgroup,
  type CallCgroup,
  type CgroupLayout,
} from "./cgroup";

export interface CgroupLimits {
  memoryBytes: number;
  maxProcesses: number;
}

/** Empty cgroups kept at most (a burst's worth beyond what runs at once is removed). */
const MAX_IDLE = 32;
/** How long a released cgroup may take to empty before the pool stops waiting (and says so). */
const EMPTY_WAIT_MS = 30_000;
/** Left over by a process of an older layout (`<uuid>` alone) this long ago: surely leaked. */
const STALE_MS = 10 * 60_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes empty call cgroups whose process is gone (or, unnamed, that are long stale). */
export function sweepLeftoverCgroups(parents: string[], now = Date.now()): number {
  let removed = 0;
  for (const parent of parents) {
    let names: string[];
    try {
      names = fs
        .readdirSync(parent, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name);
    } catch {
      continue;
    }
    for (const name of names) {
      const dir = path.join(parent, name);
      const owner = /^(\d+)-/.exec(name);
      try {
        if (owner ? alive(Number(owner[1])) : now - fs.statSync(dir).mtimeMs < STALE_MS) continue;
        fs.rmdirSync(dir); // fails while it holds a process: then it is not leftover
        removed++;
      } catch {
        /* in use, or gone already */
      }
    }
  }
  return removed;
}

export class CgroupPool {
  private idle = new Map<string, CallCgroup[]>();
  private idleCount = 0;
  private swept = false;

  constructor(private readonly layout: CgroupLayout = cgroupLayout()) {}

  /** A cgroup with these limits for one call, or undefined where the host has none to give. */
  acquire(limits: CgroupLimits): CallCgroup | undefined {
    if (this.layout.version === 0) return undefined;
    if (!this.swept) {
      this.swept = true;
      sweepLeftoverCgroups(callCgroupParents(this.layout));
    }
    const list = this.idle.get(key(limits));
    const reused = list?.pop();
    if (reused) {
      this.idleCount--;
      return reused;
    }
    return createCallCgroup(`${process.pid}-${randomUUID()}`, limits, this.layout);
  }

  /** The call is over: the cgroup returns to the pool once its last process has left. */
  release(cgroup: CallCgroup, limits: CgroupLimits): void {
    const started = Date.now();
    const attempt = (delayMs: number) => {
      if (cgroup.busy()) {
        if (Date.now() - started < EMPTY_WAIT_MS) {
          setTimeout(() => attempt(Math.min(delayMs * 2, 1_000)), delayMs).unref();
          return;
        }
        logger().warn(
          { cgroup: cgroup.procsFiles[0], waitedMs: EMPTY_WAIT_MS },
          "a sandbox's cgroup still holds processes after its call; left in place",
        );
        return;
      }
      if (this.idleCount >= MAX_IDLE || !cgroup.reuse()) {
        cgroup.remove();
        return;
      }
      const k = key(limits);
      const list = this.idle.get(k) ?? [];
      list.push(cgroup);
      this.idle.set(k, list);
      this.idleCount++;
    };
    attempt(5);
  }

  /** Removes the idle cgroups (the process is stopping). */
  close(): void {
    for (const list of this.idle.values()) for (const cg of list) cg.remove();
    this.idle.clear();
    this.idleCount = 0;
  }
}

const key = (l: CgroupLimits) => `${l.memoryBytes}:${l.maxProcesses}`;
