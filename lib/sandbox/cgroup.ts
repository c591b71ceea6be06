// Per-call cgroup (v1 memory + pids controllers) when the executor may create one (root on a host
// with cgroup v1 mounted at /sys/fs/cgroup). Without it the sandbox falls back to rlimits only.
import fs from "node:fs";
import path from "node:path";

const ROOT = "/sys/fs/cgroup";
const PARENT = "somaagent-sandbox";

export interface CallCgroup {
  /** cgroup.procs files a launcher writes its pid into before exec. */
  procsFiles: string[];
  /** True when the memory limit was hit (the kernel killed the process). */
  oomKilled(): boolean;
  remove(): void;
}

function writable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return fs.existsSync(path.join(dir, "cgroup.procs"));
  } catch {
    return false;
  }
}

let availability: boolean | undefined;
export function cgroupsAvailable(): boolean {
  availability ??= writable(path.join(ROOT, "memory")) && writable(path.join(ROOT, "pids"));
  return availability;
}

export function createCallCgroup(
  id: string,
  limits: { memoryBytes: number; maxProcesses: number },
): CallCgroup | undefined {
  if (!cgroupsAvailable()) return undefined;
  const mem = path.join(ROOT, "memory", PARENT, id);
  const pids = path.join(ROOT, "pids", PARENT, id);
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
    return undefined;
  }
  return {
    procsFiles: [path.join(mem, "cgroup.procs"), path.join(pids, "cgroup.procs")],
    oomKilled() {
      try {
        const control = fs.readFileSync(path.join(mem, "memory.oom_control"), "utf8");
        return Number(/oom_kill (\d+)/.exec(control)?.[1] ?? 0) > 0;
      } catch {
        return false;
      }
    },
    remove() {
      for (const dir of [mem, pids]) {
        try {
          fs.rmdirSync(dir);
        } catch {
          /* still has processes for a moment; the kernel frees it when they are gone */
        }
      }
    },
  };
}
