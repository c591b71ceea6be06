// Runs one command in a sandbox: bubblewrap (own mount, PID, network, IPC, UTS and user namespaces;
// only the system's /usr read-only and the call's workspace read-write are visible), as an
// unprivileged uid, with rlimits (CPU seconds, processes, file size, open files, address space),
// a per-call cgroup for memory and process count where available, a wall-clock timeout, an output
// cap and a scrubbed environment. Network is shared only when the caller says the tool may use it.
//
// Not covered: seccomp syscall filtering, a disk quota where the workspace cannot be loop-mounted
// (lib/sandbox/workspace-quota.ts), and kernel exploits that break namespaces. See docs/sandbox.md.
import { closeCgroups, launch, type Launched } from "./launch";
import { WarmPool } from "./warm-pool";

export interface SandboxLimits {
  timeoutMs: number;
  memoryBytes: number;
  cpuSeconds: number;
  maxProcesses: number;
  outputBytes: number;
  /** Size of the private /tmp; writes past it fail with "no space left". */
  tmpBytes: number;
  /** The unprivileged uid the call runs as (one per concurrency slot, so rlimits are per call). */
  uid: number;
}

export interface SandboxRequest {
  command: string[];
  /** Host directory bound read-write at /workspace; the process starts there. */
  workspace?: string;
  stdin?: string;
  env?: Record<string, string>;
  network?: boolean;
  limits: SandboxLimits;
  /** Extra host paths bound read-only at the same path (e.g. a tool's script). */
  readOnly?: string[];
  /** Address-space cap; off for V8, which reserves large virtual ranges up front. */
  limitAddressSpace?: boolean;
  /** Aborting kills the whole process group (the call was cancelled). */
  signal?: AbortSignal;
  /**
   * Start the next sandbox of this kind when this call ends, for the session's next call
   * (lib/sandbox/warm-pool.ts): for commands that read their whole program from stdin.
   */
  prewarm?: boolean;
}

export type SandboxOutcome = "exited" | "timeout" | "killed" | "output_limit" | "cancelled";

export interface SandboxResult {
  outcome: SandboxOutcome;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** Which limits were enforced by what, for the record. */
  enforcement: { cgroup: boolean };
}

/**
 * Sandboxes started ahead of their call, in this process (the tool host): at most
 * executor.warmSandboxes, which the executor sends with each call (a saved setting applies to the
 * next one). None until set.
 */
let warmMax = 0;
const warmPool = new WarmPool(launch, () => warmMax);
export function setWarmSandboxes(max: number): void {
  warmMax = max;
  if (max <= 0) warmPool.close();
}
/** The tool host is stopping: its warm sandboxes are killed, its idle cgroups removed. */
export function closeWarmSandboxes(): void {
  warmPool.close();
  closeCgroups();
}

export async function runSandboxed(req: SandboxRequest): Promise<SandboxResult> {
  const { limits } = req;
  const started = performance.now();
  const sandbox = (req.prewarm ? warmPool.take(req) : undefined) ?? launch(req);
  try {
    return await finish(sandbox, req, started);
  } finally {
    // The session's next call of this kind finds its sandbox started (after this one, so the
    // session's own earlier call has ended: a warm sandbox never runs beside the call it follows).
    if (req.prewarm) warmPool.prepare(req);
  }

  async function finish(s: Launched, r: SandboxRequest, t0: number): Promise<SandboxResult> {
    s.child.stdin.end(r.stdin ?? "");
    const timer = setTimeout(() => s.kill("timeout"), limits.timeoutMs);
    const onAbort = () => s.kill("cancelled");
    if (r.signal?.aborted) onAbort();
    r.signal?.addEventListener("abort", onAbort, { once: true });
    const { code, signal } = await s.closed;
    clearTimeout(timer);
    r.signal?.removeEventListener("abort", onAbort);
    // Killed by the kernel: the CPU limit (SIGXCPU/SIGKILL) or the memory cgroup.
    if (s.outcome === "exited" && (signal === "SIGKILL" || signal === "SIGXCPU" || s.cgroup?.oomKilled()))
      s.outcome = "killed";
    s.release();
    return {
      outcome: s.outcome,
      exitCode: code,
      signal,
      stdout: s.stdout,
      stderr: s.stderr,
      durationMs: Math.round(performance.now() - t0),
      enforcement: { cgroup: Boolean(s.cgroup) },
    };
  }
}
