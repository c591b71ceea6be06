// The native mode's supervisor (scripts/supervisor.ts, started by make dev-up): the real gateway,
// tool executor and scheduler on this test's own ports each come back after a SIGKILL; with small
// stand-in programs, whatever a killed program left in its process group goes with it, a quick crash
// loop backs off, a configuration error (exit 78) is not retried, and a stop leaves no process behind.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startStubProvider, type StubServer } from "@/server/offline-provider/server";
import { gatewayEnv } from "../helpers/chat";
import { ROOT, SETTINGS_SCOPE, freePort, waitUntil } from "../helpers/services";

interface Supervised {
  proc: ChildProcess;
  dir: string;
  pid(name: string): number;
  log(name: string): string;
  output(): string;
  stop(): Promise<void>;
}

/** Runs (a zombie, killed and not yet reaped by init, does not count). */
function alive(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

function supervise(programs: unknown[], env: Record<string, string> = {}): Supervised {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "soma-supervisor-"));
  const specFile = path.join(dir, "spec.json");
  const logDir = path.join(dir, "logs");
  const runDir = path.join(dir, "run");
  fs.writeFileSync(specFile, JSON.stringify({ logDir, runDir, programs }));
  const proc = spawn("node", ["scripts/supervisor.ts", specFile], {
    cwd: ROOT,
    env: { ...process.env, SOMA_SETTINGS_SCOPE: SETTINGS_SCOPE, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const read = (f: string) => {
    try {
      return fs.readFileSync(f, "utf8");
    } catch {
      return "";
    }
  };
  return {
    proc,
    dir,
    pid: (name) => Number(read(path.join(runDir, `${name}.pid`)) || 0),
    log: (name) => read(path.join(logDir, `${name}.log`)),
    output: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await exited;
    },
  };
}

const count = (text: string, what: string) => text.split(what).length - 1;

describe("the supervisor with the real processes", () => {
  let stub: StubServer;
  let sup: Supervised;
  let gatewayPort: number;

  beforeAll(async () => {
    stub = await startStubProvider();
    gatewayPort = await freePort();
    const executorHealth = await freePort();
    sup = supervise(
      [
        {
          name: "gateway",
          command: ["node", "--import", "tsx", "server/index.ts"],
          env: gatewayEnv(stub, gatewayPort),
        },
        {
          name: "tool-executor",
          command: ["node", "--import", "tsx", "workers/tool-executor/index.ts"],
          env: { LOG_LEVEL: "info", SOMA_EXECUTOR_HEALTH_PORT: String(executorHealth) },
        },
        {
          name: "scheduler",
          command: ["node", "--import", "tsx", "workers/scheduler/index.ts"],
          env: { LOG_LEVEL: "info" },
        },
      ],
      {},
    );
    await waitUntil(
      async () =>
        (await fetch(`http://127.0.0.1:${gatewayPort}/healthz`)).ok &&
        sup.log("tool-executor").includes('"tool executor ready"') &&
        sup.log("scheduler").includes('"scheduler ready"'),
      120_000,
      "the three processes to start",
    );
  });

  afterAll(async () => {
    const pids = ["gateway", "tool-executor", "scheduler"].map((n) => sup?.pid(n) ?? 0);
    await sup?.stop();
    await stub?.close();
    // A clean stop: every program and its group is gone, and so are their pid files.
    for (const pid of pids) if (pid) expect(alive(pid)).toBe(false);
    for (const n of ["gateway", "tool-executor", "scheduler"]) expect(sup.pid(n)).toBe(0);
  });

  it.each([
    ["tool-executor", '"tool executor ready"'],
    ["scheduler", '"scheduler ready"'],
    ["gateway", null],
  ] as const)(
    "brings %s back after kill -9",
    async (name, readyLine) => {
      const before = sup.pid(name);
      expect(alive(before)).toBe(true);
      const readyBefore = readyLine ? count(sup.log(name), readyLine) : 0;
      const killedAt = Date.now();
      process.kill(before, "SIGKILL");
      await waitUntil(
        async () => sup.pid(name) !== before && alive(sup.pid(name)),
        20_000,
        `${name} to be started again`,
      );
      const restartedAt = Date.now();
      await waitUntil(
        async () =>
          readyLine
            ? count(sup.log(name), readyLine) > readyBefore
            : (await fetch(`http://127.0.0.1:${gatewayPort}/healthz`)).ok,
        60_000,
        `${name} to be ready again`,
      );
      // For the report (figures, not asserted): from the kill to the new process, and to it serving.
      const s = (t: number) => ((t - killedAt) / 1000).toFixed(1);
      console.log(`${name}: restarted ${s(restartedAt)} s and ready ${s(Date.now())} s after kill -9`);
      expect(sup.output()).toContain(`${name} exited (signal SIGKILL)`);
      expect(sup.log(name)).toContain(`supervisor: ${name} exited (signal SIGKILL)`);
    },
    90_000,
  );
});

describe("the supervisor with stand-in programs", () => {
  let sup: Supervised | undefined;
  afterEach(async () => {
    await sup?.stop();
    sup = undefined;
  });

  it("kills what a killed program left in its group, backs off a crash loop, and gives up on exit 78", async () => {
    const marker = `soma-supervisor-test-${process.pid}-${Date.now()}`;
    sup = supervise(
      [
        {
          name: "parent",
          // Leaves a grandchild in its group, like a watcher's server or an executor's tool host.
          command: ["bash", "-c", `node -e "setInterval(() => {}, 1000)" ${marker} & echo "child $!"; wait`],
        },
        { name: "crashing", command: ["bash", "-c", "echo starting; exit 3"] },
        { name: "misconfigured", command: ["bash", "-c", "echo 'bad config'; exit 78"] },
      ],
      { SOMA_SUPERVISOR_FIRST_DELAY_MS: "100" },
    );
    const s = sup;
    await waitUntil(async () => /child \d+/.test(s.log("parent")), 20_000, "the grandchild");
    const grandchild = Number(/child (\d+)/.exec(s.log("parent"))![1]);
    const parent = s.pid("parent");
    process.kill(parent, "SIGKILL");
    await waitUntil(async () => s.pid("parent") !== parent && alive(s.pid("parent")), 20_000, "the restart");
    await waitUntil(async () => !alive(grandchild), 10_000, "the grandchild to be killed with its parent");

    // Three quick exits: the delay doubles each time (0.1, 0.2, 0.4 s), each with the exit status.
    await waitUntil(async () => count(s.output(), "crashing exited") >= 3, 20_000, "three crashes");
    const delays = [
      ...s.output().matchAll(/crashing exited \(exit code 3\) after [\d.]+ s; restarting in ([\d.]+) s/g),
    ].map((m) => m[1]);
    expect(delays.slice(0, 3)).toEqual(["0.1", "0.2", "0.4"]);

    expect(s.output()).toContain("misconfigured exited (exit code 78)");
    expect(s.output()).toContain("not restarting");
    expect(count(s.log("misconfigured"), "bad config")).toBe(1);

    const running = s.pid("parent");
    await s.stop();
    expect(alive(running)).toBe(false);
    expect(execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })).not.toContain(marker);
  }, 60_000);

  it("restarts a program whose watched code changed, as a reload and not a crash", async () => {
    const src = fs.mkdtempSync(path.join(os.tmpdir(), "soma-supervisor-src-"));
    sup = supervise([
      {
        name: "watched",
        command: ["node", "-e", "setInterval(() => {}, 1000)"],
        watch: [src],
        ignore: [path.join(src, "client")],
      },
    ]);
    const s = sup;
    await waitUntil(async () => alive(s.pid("watched")), 20_000, "the program to start");
    const first = s.pid("watched");
    fs.mkdirSync(path.join(src, "client"));
    fs.writeFileSync(path.join(src, "client", "ignored.ts"), "export {};\n");
    fs.writeFileSync(path.join(src, "notes.txt"), "not code\n");
    // Past the 300 ms debounce: neither an ignored folder nor a file that is not code reloads it.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(s.pid("watched")).toBe(first);
    fs.writeFileSync(path.join(src, "server.ts"), "export const x = 1;\n");
    await waitUntil(async () => s.pid("watched") !== first && alive(s.pid("watched")), 20_000, "the reload");
    expect(s.output()).toContain("server.ts changed");
    expect(s.output()).toContain("watched restarting: a watched file changed");
    expect(s.output()).not.toContain("watched exited");
  }, 60_000);
});
