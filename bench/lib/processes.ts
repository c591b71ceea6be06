// Processes a bench starts beside the gateway: the offline provider (server/offline-provider/main.ts)
// on its own event loop, and CPU time of any process from /proc.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import readline from "node:readline";
import { freePort, ROOT } from "../../tests/helpers/services";
import type { LoopDelay } from "./loop-delay";

/** User + system CPU seconds of a process so far. */
export function cpuSeconds(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** CPU seconds of a process and its children that have exited (espeak-ng runs), plus live ones. */
export function treeCpuSeconds(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  let s = (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
  for (const child of childPids(pid)) s += treeCpuSeconds(child);
  return s;
}

function childPids(pid: number): number[] {
  try {
    return fs
      .readdirSync(`/proc/${pid}/task`)
      .flatMap((t) => fs.readFileSync(`/proc/${pid}/task/${t}/children`, "utf8").trim().split(/\s+/))
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

export interface ProviderProcess {
  url: string;
  child: ChildProcess;
  /** How late its event loop ran since the last call (it prints that on SIGUSR2). */
  loopDelay(): Promise<LoopDelay>;
  close(): Promise<void>;
}

export async function startProviderProcess(): Promise<ProviderProcess> {
  const port = await freePort();
  const child = spawn(
    "node",
    ["--import", "tsx", "server/offline-provider/main.ts", "--port", String(port), "--loop-delay"],
    { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, LOG_LEVEL: "warn" } },
  );
  const lines = readline.createInterface({ input: child.stdout });
  let waiting: ((d: LoopDelay) => void) | undefined;
  const url = await new Promise<string>((resolve, reject) => {
    const to = setTimeout(() => reject(new Error("the offline provider did not start in 30 s")), 30_000);
    child.once("exit", (code) => reject(new Error(`the offline provider exited (${code})`)));
    lines.on("line", (line) => {
      const started = /test provider on (\S+)/.exec(line);
      if (started) {
        clearTimeout(to);
        resolve(started[1]!);
      } else if (line.startsWith("loop-delay ")) waiting?.(JSON.parse(line.slice(11)) as LoopDelay);
    });
  });
  return {
    url,
    child,
    loopDelay: () =>
      new Promise((resolve) => {
        waiting = resolve;
        child.kill("SIGUSR2");
      }),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

/** The error lines (pino level 50) a process logged: a bench prints how many and the first. */
export function loggedErrors(output: string): string[] {
  return output.split("\n").filter((l) => l.includes('"level":50'));
}

/** "gateway logged N errors; first: …", or nothing when there were none. */
export function reportLoggedErrors(who: string, output: string): void {
  const errors = loggedErrors(output);
  if (errors.length) console.log(`${who} logged ${errors.length} errors; first: ${errors[0]!.slice(0, 600)}`);
}
