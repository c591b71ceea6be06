// Starting one sandboxed process (lib/sandbox/run.ts says what the layers are): its cgroup, the
// launcher chain (sh joins the cgroup → setpriv → prlimit → bwrap → the command) and the collection
// of its output. Split from the call itself so a sandbox can be started before its call arrives
// (lib/sandbox/warm-pool.ts): until its input is written, the command waits on stdin.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import fs from "node:fs";
import type { CallCgroup } from "./cgroup";
import { CgroupPool } from "./cgroup-pool";
import type { SandboxOutcome, SandboxRequest } from "./run";

const SYSTEM_DIRS = ["/usr", "/etc/alternatives", "/etc/ssl", "/etc/ca-certificates", "/etc/localtime"];

let binds: string[] | undefined;
/** The system's read-only binds: the same for every call, so looked up once per process. */
function systemBinds(): string[] {
  if (binds) return binds;
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
  return (binds = args);
}

/** What a started sandbox's call needs: everything of the request but its input, signal and timeout. */
export type LaunchSpec = Omit<SandboxRequest, "stdin" | "signal" | "prewarm">;

let pool: CgroupPool | undefined;
/** This process's call cgroups (made on the first sandbox: the layout is detected then). */
const cgroups = () => (pool ??= new CgroupPool());

/** Removes this process's idle call cgroups (it is stopping; busy ones are swept by the next). */
export function closeCgroups(): void {
  pool?.close();
}

export interface Launched {
  child: ChildProcessWithoutNullStreams;
  cgroup: CallCgroup | undefined;
  stdout: string;
  stderr: string;
  /** "exited" until something kills it; the first reason sticks. */
  outcome: SandboxOutcome;
  /** Resolves when the process has exited and its output is closed. */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills the whole process group, recording why (unless a reason is recorded already). */
  kill(why: SandboxOutcome): void;
  /** After it closed: its cgroup goes back to the pool once empty. */
  release(): void;
}

export function launch(spec: LaunchSpec): Launched {
  const { limits } = spec;
  const cgroupLimits = { memoryBytes: limits.memoryBytes, maxProcesses: limits.maxProcesses };
  const cgroup = cgroups().acquire(cgroupLimits);

  const bwrap = [
    "bwrap",
    "--unshare-all",
    ...(spec.network ? ["--share-net"] : []),
    "--die-with-parent",
    // The command is the namespace's PID 1, so bwrap itself waits for it. With bwrap's own reaper as
    // PID 1, bwrap could exit before it, leaving it to the host's init to reap: where that init
    // reaps late (or never: an executor that is PID 1 of its container), those zombies count
    // against the session uid's process limit, and after 32 quick calls its sandboxes cannot fork.
    "--as-pid-1",
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
    ...(spec.network && fs.existsSync("/etc/resolv.conf")
      ? ["--ro-bind", "/etc/resolv.conf", "/etc/resolv.conf"]
      : []),
    ...(spec.workspace
      ? ["--bind", spec.workspace, "/workspace", "--chdir", "/workspace"]
      : ["--chdir", "/tmp"]),
    ...(spec.readOnly ?? []).flatMap((p) => ["--ro-bind", p, p]),
    "--clearenv",
    "--setenv",
    "PATH",
    "/usr/local/bin:/usr/bin:/bin",
    "--setenv",
    "HOME",
    spec.workspace ? "/workspace" : "/tmp",
    "--setenv",
    "LANG",
    "C.UTF-8",
    ...Object.entries(spec.env ?? {}).flatMap(([k, v]) => ["--setenv", k, v]),
    "--",
    ...spec.command,
  ];
  const prlimit = [
    "prlimit",
    `--cpu=${limits.cpuSeconds}`,
    `--nproc=${limits.maxProcesses}`,
    `--fsize=${Math.max(limits.outputBytes * 16, 16 * 1024 * 1024)}`,
    "--nofile=256",
    "--core=0",
    ...(spec.limitAddressSpace ? [`--as=${limits.memoryBytes * 2}`] : []),
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

  const launched: Launched = {
    child,
    cgroup,
    stdout: "",
    stderr: "",
    outcome: "exited",
    closed: new Promise((resolve) => {
      child.once("close", (code, signal) => resolve({ code, signal }));
      child.once("error", (err) => {
        launched.stderr += `sandbox could not start: ${err.message}`;
        resolve({ code: null, signal: null });
      });
    }),
    kill(why) {
      if (launched.outcome === "exited") launched.outcome = why;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* already gone */
      }
    },
    release() {
      if (cgroup) cgroups().release(cgroup, cgroupLimits);
    },
  };
  const take = (which: "out" | "err") => (chunk: Buffer) => {
    const room = limits.outputBytes - (launched.stdout.length + launched.stderr.length);
    if (room <= 0) return launched.kill("output_limit");
    const text = chunk.toString("utf8").slice(0, room);
    if (which === "out") launched.stdout += text;
    else launched.stderr += text;
    if (chunk.length > room) launched.kill("output_limit");
  };
  child.stdout.on("data", take("out"));
  child.stderr.on("data", take("err"));
  child.stdin.on("error", () => undefined); // the process may exit without reading its input
  return launched;
}
