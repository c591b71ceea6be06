// The native mode's process supervisor (make dev-up): runs the app processes (gateway, tool executor,
// scheduler, offline provider), restarts one that exits with a backoff, and says why in its log.
//   node scripts/supervisor.ts <spec.json>
// spec: { "logDir": str, "runDir": str, "programs": [{ "name": str, "command": [str], "env"?: {},
//         "watch"?: [dir], "ignore"?: [dir] }] }
// Why Node and not bash: it is already required, and one event loop watching several children (their
// exits, signals, timers, file changes) is plain here and brittle with `wait -n` and traps.
// Runs with Node's own type stripping (no tsx, no dependencies), so it starts in a few ms.
//
// - Each program is its own process group (detached): when it exits, whatever it left in its group
//   (a tool host, a sandbox, the server under a watcher) is killed before the restart.
// - Backoff: 0.5 s after an exit, doubling for each exit within STABLE_MS of its start, up to 30 s;
//   a program that ran STABLE_MS starts over at 0.5 s. Exit 78 (EX_CONFIG, e.g. the executor's sandbox
//   cannot work here) is not retried: it cannot pass by itself.
// - <runDir>/<name>.pid holds each program's pid (dev-up waits on it, dev-down kills by it if this
//   supervisor is gone); its output is appended to <logDir>/<name>.log, with the supervisor's lines.
// - `watch`: a change under those folders restarts the program (hot reload of server code; not a crash).
// - SIGTERM/SIGINT: every program gets SIGTERM, then SIGKILL (group) after STOP_GRACE_MS; then exit.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

interface ProgramSpec {
  name: string;
  command: string[];
  env?: Record<string, string>;
  watch?: string[];
  ignore?: string[];
}
interface Spec {
  logDir: string;
  runDir: string;
  programs: ProgramSpec[];
}
interface Program {
  spec: ProgramSpec;
  child: ChildProcess | undefined;
  startedAt: number;
  restarts: number;
  delayMs: number;
  timer: NodeJS.Timeout | undefined;
  /** A restart this supervisor asked for (a watched file changed): not a crash, no backoff. */
  reloading: boolean;
}

const FIRST_DELAY_MS = Number(process.env.SOMA_SUPERVISOR_FIRST_DELAY_MS ?? 500);
const MAX_DELAY_MS = 30_000;
const STABLE_MS = 30_000;
// Inside the 10 s that dev-down (stop_service) gives this supervisor before it kills it.
const STOP_GRACE_MS = Number(process.env.SOMA_SUPERVISOR_STOP_GRACE_MS ?? 8_000);
const EX_CONFIG = 78;

const specFile = process.argv[2];
if (!specFile) {
  process.stderr.write("usage: node scripts/supervisor.ts <spec.json>\n");
  process.exit(2);
}
const spec = JSON.parse(fs.readFileSync(specFile, "utf8")) as Spec;
fs.mkdirSync(spec.logDir, { recursive: true });
fs.mkdirSync(spec.runDir, { recursive: true });

const time = () => new Date().toISOString().slice(11, 19);
function say(line: string, program?: Program): void {
  const text = `[${time()}] supervisor: ${line}\n`;
  process.stdout.write(text);
  if (program) fs.appendFileSync(logFile(program), text);
}
const logFile = (p: Program) => path.join(spec.logDir, `${p.spec.name}.log`);
const pidFile = (p: Program) => path.join(spec.runDir, `${p.spec.name}.pid`);

/** Signals a program's whole process group; false when nothing is left in it. */
function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false; // the group is empty: done
    throw err;
  }
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

let stopping = false;
const programs: Program[] = spec.programs.map((s) => ({
  spec: s,
  child: undefined,
  startedAt: 0,
  restarts: 0,
  delayMs: FIRST_DELAY_MS,
  timer: undefined,
  reloading: false,
}));

function start(p: Program): void {
  p.timer = undefined;
  if (stopping) return;
  const out = fs.openSync(logFile(p), "a");
  const [cmd, ...args] = p.spec.command;
  let child: ChildProcess;
  try {
    child = spawn(cmd!, args, {
      detached: true,
      stdio: ["ignore", out, out],
      env: { ...process.env, ...p.spec.env },
    });
  } finally {
    fs.closeSync(out);
  }
  p.child = child;
  p.startedAt = Date.now();
  child.once("error", (err) => {
    say(`${p.spec.name} could not be started: ${err.message}`, p);
    if (!child.pid) onExit(p, child, 127, null); // never ran, so no exit event: retried like one
  });
  if (child.pid) fs.writeFileSync(pidFile(p), `${child.pid}\n`);
  say(`${p.spec.name} started (pid ${child.pid})${p.restarts ? `, restart ${p.restarts}` : ""}`, p);
  child.once("exit", (code, signal) => onExit(p, child, code, signal));
}

function onExit(p: Program, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
  const ranMs = Date.now() - p.startedAt;
  // Whatever the program left in its group goes with it (a restart must start from nothing).
  if (child.pid) signalGroup(child.pid, "SIGKILL");
  p.child = undefined;
  if (stopping) {
    fs.rmSync(pidFile(p), { force: true });
    say(`${p.spec.name} stopped (${describeExit(code, signal)})`, p);
    return;
  }
  if (p.reloading) {
    p.reloading = false;
    say(`${p.spec.name} restarting: a watched file changed`, p);
    start(p);
    return;
  }
  const why = `${p.spec.name} exited (${describeExit(code, signal)}) after ${(ranMs / 1000).toFixed(1)} s`;
  if (code === EX_CONFIG) {
    say(`${why}: a configuration error (exit ${EX_CONFIG}), not restarting; see ${logFile(p)}`, p);
    return;
  }
  if (ranMs >= STABLE_MS) p.delayMs = FIRST_DELAY_MS;
  p.restarts += 1;
  say(`${why}; restarting in ${(p.delayMs / 1000).toFixed(1)} s`, p);
  p.timer = setTimeout(() => start(p), p.delayMs);
  p.delayMs = Math.min(MAX_DELAY_MS, p.delayMs * 2);
}

function watch(p: Program): void {
  const ignore = (p.spec.ignore ?? []).map((d) => path.resolve(d) + path.sep);
  let debounce: NodeJS.Timeout | undefined;
  for (const dir of p.spec.watch ?? []) {
    const root = path.resolve(dir);
    fs.watch(root, { recursive: true }, (_event, file) => {
      if (!file || !/\.(ts|tsx|json|ya?ml)$/.test(file)) return;
      const full = path.join(root, file.toString());
      if (ignore.some((i) => full.startsWith(i))) return;
      clearTimeout(debounce);
      debounce = setTimeout(() => {
        if (stopping || !p.child?.pid) return;
        say(`${p.spec.name}: ${path.relative(process.cwd(), full)} changed`, p);
        const child = p.child;
        p.reloading = true;
        signalGroup(child.pid!, "SIGTERM");
        setTimeout(() => {
          if (p.child === child) signalGroup(child.pid!, "SIGKILL");
        }, STOP_GRACE_MS).unref();
      }, 300);
    });
  }
}

async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  say(`${signal}: stopping ${programs.map((p) => p.spec.name).join(", ")}`);
  for (const p of programs) {
    clearTimeout(p.timer);
    if (p.child?.pid) signalGroup(p.child.pid, "SIGTERM");
    else fs.rmSync(pidFile(p), { force: true });
  }
  const deadline = Date.now() + STOP_GRACE_MS;
  while (programs.some((p) => p.child) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const p of programs)
    if (p.child?.pid) {
      say(`${p.spec.name} did not stop within ${STOP_GRACE_MS / 1000} s; killing it`, p);
      signalGroup(p.child.pid, "SIGKILL");
    }
  while (programs.some((p) => p.child)) await new Promise((r) => setTimeout(r, 50));
  say("stopped");
  process.exit(0);
}

process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
for (const p of programs) {
  start(p);
  watch(p);
}
say(`running ${programs.map((p) => p.spec.name).join(", ")} (pid ${process.pid})`);
