// Runs one command in a sandbox: bubblewrap (own mount, PID, network, IPC, UTS and user namespaces;
// only the system's /usr read-only and the call's workspace read-write are visible), as an
// unprivileged uid, with rlimits (CPU seconds, processes, file size, open files, address space),
// a per-call cgroup for memory and process count where available, a wall-clock timeout, an output
// cap and a scrubbed environment. Network is shared only when the caller says the tool may use it.
//
// Not covered: seccomp syscall filtering, a disk quota where the workspace cannot be loop-mounted
// (lib/sandbox/workspace-quota.ts), and kernel exploits that break namespaces. See docs/sandbox.md.
import { spawn } from "node:child_process";
import fs from "node:fs";
import { randomUUID } from "node:crypto";
import { createCallCgroup } from "./cgroup";

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

const SYSTEM_DIRS = ["/usr", "/etc/alternatives", "/etc/ssl", "/etc/ca-certificates", "/etc/localtime"];

function systemBinds(): string[] {
  const args: string[] = [];
  for (const dir of SYSTEM_DIRS) if (fs.existsSync(dir)) args.push("--ro-bind", dir, dir);
  // Merged-/usr systems have /bin, /lib… as symlinks into /usr; older ones have real directories.
  for (const top of ["/bin", "/sbin", "/lib", "/lib64", "/lib32"]) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(top);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push("--symlink", fs.readlinkSync(top), top);
    else args.push("--ro-bind", top, top);
  }
  return args;
}

export async function runSandboxed(req: SandboxRequest): Promise<SandboxResult> {
  const { limits } = req;
  const started = performance.now();
  const cgroup = createCallCgroup(randomUUID(), {
    memoryBytes: limits.memoryBytes,
    maxProcesses: limits.maxProcesses,
  });

  const bwrap = [
    "bwrap",
    "--unshare-all",
    ...(req.network ? ["--share-net"] : []),
    "--die-with-parent",
    "--new-session",
    "--cap-drop",
    "ALL",
    ...systemBinds(),
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--size",
    String(limits.tmpBytes),
    "--tmpfs",
    "/tmp",
    ...(req.network && fs.existsSync("/etc/resolv.conf")
      ? ["--ro-bind", "/etc/resolv.conf", "/etc/resolv.conf"]
      : []),
    ...(req.workspace
      ? ["--bind", req.workspace, "/workspace", "--chdir", "/workspace"]
      : ["--chdir", "/tmp"]),
    ...(req.readOnly ?? []).flatMap((p) => ["--ro-bind", p, p]),
    "--clearenv",
    "--setenv",
    "PATH",
    "/usr/local/bin:/usr/bin:/bin",
    "--setenv",
    "HOME",
    req.workspace ? "/workspace" : "/tmp",
    "--setenv",
    "LANG",
    "C.UTF-8",
    ...Object.entries(req.env ?? {}).flatMap(([k, v]) => ["--setenv", k, v]),
    "--",
    ...req.command,
  ];
  const prlimit = [
    "prlimit",
    `--cpu=${limits.cpuSeconds}`,
    `--nproc=${limits.maxProcesses}`,
    `--fsize=${Math.max(limits.outputBytes * 16, 16 * 1024 * 1024)}`,
    "--nofile=256",
    "--core=0",
    ...(req.limitAddressSpace ? [`--as=${limits.memoryBytes * 2}`] : []),
    "--",
  ];
  // --pdeathsig: if the tool host dies (even by SIGKILL) before bwrap starts, the sandbox dies too;
  // from bwrap on, --die-with-parent takes over.
  const setpriv = [
    "setpriv",
    `--reuid=${limits.uid}`,
    `--regid=${limits.uid}`,
    "--clear-groups",
    "--pdeathsig=KILL",
    "--",
  ];
  // The launcher joins the call's cgroup, then becomes the sandbox (exec keeps the pid).
  const join = cgroup ? cgroup.procsFiles.map((f) => `echo $$ > ${f}`).join(" && ") + " && " : "";
  const launcher = ["/bin/sh", "-c", `${join}exec "$@"`, "sandbox", ...setpriv, ...prlimit, ...bwrap];

  const child = spawn(launcher[0]!, launcher.slice(1), {
    stdio: ["pipe", "pipe", "pipe"],
    detached: true, // own process group, so a timeout kills everything the call started
    env: {
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    } as unknown as NodeJS.ProcessEnv,
  });

  let stdout = "";
  let stderr = "";
  let outcome: SandboxOutcome = "exited";
  const kill = (why: SandboxOutcome) => {
    if (outcome === "exited") outcome = why;
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      /* already gone */
    }
  };
  const take = (which: "out" | "err") => (chunk: Buffer) => {
    const room = limits.outputBytes - (stdout.length + stderr.length);
    if (room <= 0) return kill("output_limit");
    const text = chunk.toString("utf8").slice(0, room);
    if (which === "out") stdout += text;
    else stderr += text;
    if (chunk.length > room) kill("output_limit");
  };
  child.stdout.on("data", take("out"));
  child.stderr.on("data", take("err"));
  child.stdin.on("error", () => undefined); // the process may exit without reading its input
  child.stdin.end(req.stdin ?? "");
  const timer = setTimeout(() => kill("timeout"), limits.timeoutMs);
  const onAbort = () => kill("cancelled");
  if (req.signal?.aborted) onAbort();
  req.signal?.addEventListener("abort", onAbort, { once: true });

  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve) => {
      child.once("close", (c, s) => resolve({ code: c, signal: s }));
      child.once("error", (err) => {
        stderr += `sandbox could not start: ${err.message}`;
        resolve({ code: null, signal: null });
      });
    },
  );
  clearTimeout(timer);
  req.signal?.removeEventListener("abort", onAbort);
  // Killed by the kernel: the CPU limit (SIGXCPU/SIGKILL) or the memory cgroup.
  if (outcome === "exited" && (signal === "SIGKILL" || signal === "SIGXCPU" || cgroup?.oomKilled()))
    outcome = "killed";
  cgroup?.remove();
  return {
    outcome,
    exitCode: code,
    signal,
    stdout,
    stderr,
    durationMs: Math.round(performance.now() - started),
    enforcement: { cgroup: Boolean(cgroup) },
  };
}
