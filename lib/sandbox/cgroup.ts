// Per-call cgroup (memory + pids limits) when the executor may create one. Two layouts:
// - cgroup v1 (memory and pids hierarchies at /sys/fs/cgroup/<controller>): used whenever present;
// - cgroup v2, only when v1 memory is absent: the unified hierarchy (/sys/fs/cgroup, or
//   /sys/fs/cgroup/unified on a hybrid host) offering memory and pids. The executor makes its
//   subtree somaagent-sandbox there, enables both controllers for it, and gives each call a child
//   with memory.max, memory.swap.max and pids.max.
// Without either the sandbox falls back to rlimits only. The v2 path is unit-tested against a
// directory laid out like cgroupfs, not on a real v2 host (docs/sandbox.md).
import fs from "node:fs";
import path from "node:path";

const ROOT = "/sys/fs/cgroup";
const PARENT = "somaagent-sandbox";

export interface CallCgroup {
  /** cgroup.procs files a launcher writes its pid into before exec. */
  procsFiles: string[];
  /** True when the memory limit was hit (the kernel killed a process) since creation or reuse(). */
  oomKilled(): boolean;
  /** Whether any process is still in it (a sandbox's last processes leave just after it closes). */
  busy(): boolean;
  /**
   * Makes an empty cgroup ready for another call (lib/sandbox/cgroup-pool.ts): its kill count so
   * far no longer counts, and (v1) the pages still charged to it are reclaimed. False: remove it.
   */
  reuse(): boolean;
  remove(): void;
}

export type CgroupLayout =
  | { version: 1; memory: string; pids: string }
  | { version: 2; parent: string }
  | { version: 0; reason: string };

function writable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return fs.existsSync(path.join(dir, "cgroup.procs"));
  } catch {
    return false;
  }
}

function words(file: string): string[] {
  try {
    return fs.readFileSync(file, "utf8").split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/** Writes "+memory +pids" into a subtree_control that lacks either. */
function enableControllers(dir: string): void {
  const file = path.join(dir, "cgroup.subtree_control");
  const on = words(file);
  const missing = ["memory", "pids"].filter((c) => !on.includes(c));
  if (missing.length > 0) fs.writeFileSync(file, missing.map((c) => `+${c}`).join(" "));
}

/**
 * Which cgroup layout this host offers the executor, under `root` (a directory laid out like
 * /sys/fs/cgroup in tests). v2 is chosen only when v1 memory is absent, and it prepares the
 * executor's subtree (so its failure, e.g. EBUSY in a container's own cgroup, is a reason here).
 */
export function detectCgroups(root: string = ROOT): CgroupLayout {
  const memory = path.join(root, "memory");
  const pids = path.join(root, "pids");
  if (fs.existsSync(memory)) {
    if (writable(memory) && writable(pids)) return { version: 1, memory, pids };
    return { version: 0, reason: "cgroup v1 memory and pids are not both writable by the executor" };
  }
  const unified = [root, path.join(root, "unified")].find((dir) =>
    fs.existsSync(path.join(dir, "cgroup.controllers")),
  );
  if (!unified) return { version: 0, reason: "no cgroup v1 memory controller and no cgroup v2 hierarchy" };
  const offered = words(path.join(unified, "cgroup.controllers"));
  if (!offered.includes("memory") || !offered.includes("pids"))
    return {
      version: 0,
      reason: `cgroup v2 at ${unified} offers only [${offered.join(" ")}], not memory and pids`,
    };
  if (!writable(unified)) return { version: 0, reason: `cgroup v2 at ${unified} is not writable` };
  const parent = path.join(unified, PARENT);
  try {
    enableControllers(unified);
    fs.mkdirSync(parent, { recursive: true });
    enableControllers(parent);
  } catch (err) {
    return {
      version: 0,
      reason: `cannot delegate memory and pids to ${parent}: ${(err as Error).message}`,
    };
  }
  return { version: 2, parent };
}

let detected: CgroupLayout | undefined;
export function cgroupLayout(): CgroupLayout {
  detected ??= detectCgroups();
  return detected;
}

export function cgroupsAvailable(): boolean {
  return cgroupLayout().version !== 0;
}

function removeDirs(dirs: string[]): void {
  for (const dir of dirs) {
    try {
      fs.rmdirSync(dir);
    } catch {
      /* still has processes: the pool (lib/sandbox/cgroup-pool.ts) waits for them to leave first */
    }
  }
}

/** Whether any of these cgroup.procs files lists a process. */
function anyProcess(procsFiles: string[]): boolean {
  return procsFiles.some((f) => {
    try {
      return fs.readFileSync(f, "utf8").trim() !== "";
    } catch {
      return false; // gone
    }
  });
}

/** A number `pattern` captures from `file`, 0 when it cannot be read. */
function counter(file: string, pattern: RegExp): number {
  try {
    return Number(pattern.exec(fs.readFileSync(file, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function v1Cgroup(
  layout: { memory: string; pids: string },
  id: string,
  limits: { memoryBytes: number; maxProcesses: number },
): CallCgroup | undefined {
  const mem = path.join(layout.memory, PARENT, id);
  const pids = path.join(layout.pids, PARENT, id);
  try {
    fs.mkdirSync(mem, { recursive: true });
    fs.mkdirSync(pids, { recursive: true });
    fs.writeFileSync(path.join(mem, "memory.limit_in_bytes"), String(limits.memoryBytes));
    // Swap would let a process exceed the limit slowly instead of failing fast.
    try {
      fs.writeFileSync(path.join(mem, "memory.memsw.limit_in_bytes"), String(limits.memoryBytes));
    } catch {
      /* no swap accounting on this kernel */
    }
    fs.writeFileSync(path.join(pids, "pids.max"), String(limits.maxProcesses));
  } catch {
    removeDirs([mem, pids]);
    return undefined;
  }
  const kills = () => counter(path.join(mem, "memory.oom_control"), /oom_kill (\d+)/);
  let killsBefore = 0;
  const procsFiles = [path.join(mem, "cgroup.procs"), path.join(pids, "cgroup.procs")];
  return {
    procsFiles,
    oomKilled: () => kills() > killsBefore,
    busy: () => anyProcess(procsFiles),
    reuse() {
      try {
        // Page cache a call left charged here (its workspace files) would count against the next.
        fs.writeFileSync(path.join(mem, "memory.force_empty"), "0");
      } catch {
        return false;
      }
      killsBefore = kills();
      return true;
    },
    remove: () => removeDirs([mem, pids]),
  };
}

function v2Cgroup(
  parent: string,
  id: string,
  limits: { memoryBytes: number; maxProcesses: number },
): CallCgroup | undefined {
  const dir = path.join(parent, id);
  try {
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "memory.max"), String(limits.memoryBytes));
    // No swap, as memsw does on v1: the limit fails fast instead of paging slowly past it.
    try {
      fs.writeFileSync(path.join(dir, "memory.swap.max"), "0");
    } catch {
      /* no swap controller on this kernel (no swap accounting) */
    }
    fs.writeFileSync(path.join(dir, "pids.max"), String(limits.maxProcesses));
  } catch {
    removeDirs([dir]);
    return undefined;
  }
  const kills = () => counter(path.join(dir, "memory.events"), /^oom_kill (\d+)/m);
  let killsBefore = 0;
  const procsFiles = [path.join(dir, "cgroup.procs")];
  return {
    procsFiles,
    oomKilled: () => kills() > killsBefore,
    busy: () => anyProcess(procsFiles),
    reuse() {
      // v2 has no force_empty (memory.reclaim is too new to rely on): cache left here is reclaimed
      // under the next call's limit like any other cache.
      killsBefore = kills();
      return true;
    },
    remove: () => removeDirs([dir]),
  };
}

export function createCallCgroup(
  id: string,
  limits: { memoryBytes: number; maxProcesses: number },
  layout: CgroupLayout = cgroupLayout(),
): CallCgroup | undefined {
  if (layout.version === 1) return v1Cgroup(layout, id, limits);
  if (layout.version === 2) return v2Cgroup(layout.parent, id, limits);
  return undefined;
}

/** The directories call cgroups are made in (both hierarchies on v1). */
export function callCgroupParents(layout: CgroupLayout = cgroupLayout()): string[] {
  if (layout.version === 1) return [path.join(layout.memory, PARENT), path.join(layout.pids, PARENT)];
  if (layout.version === 2) return [layout.parent];
  return [];
}
