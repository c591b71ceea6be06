// Sandbox start: `print(1)` in code_execution, from the outbox write to the result in the caller
// (BullMQ), for the first call of a session and for a warm one (the session's earlier call done).
// Baselines, in the same run and interleaved with the figures so a busy machine weighs on both:
// - bare bwrap: `bwrap --unshare-all` (the same system binds) running `python3 -c 'print(1)'`,
//   spawned from this process: what any bubblewrap sandbox of Python costs here;
// - the no-op tool's round trip on the same executor: what the bus path costs without a sandbox.
// A call with no result in time is counted as missing, one that did not print 1 as refused (its
// status); neither is a sample.
// Needs the services and root (the sandbox switches uids); starts its own executor.
// Run: npx tsx bench/sandbox-start.ts [sessions=20] [warmCalls=100]
import { spawn } from "node:child_process";
import os from "node:os";
import { gatewaySide, startExecutor, stopProcess } from "../tests/helpers/executor";

const sessionCount = Number(process.argv[2] ?? 20);
const warmCalls = Number(process.argv[3] ?? 100);
const PRINT_1 = { runtime: "python", code: "print(1)" };

interface Run {
  samples: number[];
  missing: number;
  refused: string[];
}
const newRun = (): Run => ({ samples: [], missing: 0, refused: [] });

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function line(label: string, run: Run): string {
  const s = [...run.samples].sort((a, b) => a - b);
  const refused = run.refused.length
    ? `, ${run.refused.length} refused: ${[...new Set(run.refused)].join(", ").slice(0, 160)}`
    : "";
  return `  ${label.padEnd(40)} p50 ${pct(s, 50).toFixed(1).padStart(7)} ms  p99 ${pct(s, 99).toFixed(1).padStart(7)} ms  (${s.length} samples, ${run.missing} missing${refused})`;
}

/** The sandbox's own system binds (lib/sandbox/run.ts) and nothing else: no uid switch, rlimits, cgroup. */
const BARE = [
  "--unshare-all",
  "--die-with-parent",
  "--new-session",
  "--ro-bind",
  "/usr",
  "/usr",
  "--symlink",
  "usr/bin",
  "/bin",
  "--symlink",
  "usr/lib",
  "/lib",
  "--symlink",
  "usr/lib64",
  "/lib64",
  "--proc",
  "/proc",
  "--dev",
  "/dev",
  "--tmpfs",
  "/tmp",
  "--",
  "python3",
  "-c",
  "print(1)",
];

async function bare(run: Run): Promise<void> {
  const t0 = performance.now();
  const out = await new Promise<string | null>((resolve) => {
    const child = spawn("bwrap", BARE, { stdio: ["ignore", "pipe", "inherit"] });
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d.toString()));
    child.once("error", () => resolve(null));
    child.once("close", (code) => resolve(code === 0 ? text : null));
  });
  if (out === null) run.missing++;
  else if (out !== "1\n") run.refused.push(`printed ${JSON.stringify(out)}`);
  else run.samples.push(performance.now() - t0);
}

type Call = () => Promise<{ status: string; result: unknown }>;
async function timed(run: Run, call: Call, check: (r: { result: unknown }) => boolean): Promise<void> {
  const t0 = performance.now();
  let r: { status: string; result: unknown };
  try {
    r = await call();
  } catch {
    run.missing++;
    return;
  }
  const ms = performance.now() - t0;
  if (r.status !== "succeeded" || !check(r)) run.refused.push(r.status);
  else run.samples.push(ms);
}

const printed1 = (r: { result: unknown }) => (r.result as { stdout?: string } | null)?.stdout === "1\n";

const gw = await gatewaySide("bullmq");
const executor = await startExecutor("bullmq", { SOMA_EXECUTOR_CONCURRENCY: "4" });
try {
  console.log(
    `sandbox start: print(1) in code_execution, outbox write -> result in the caller (BullMQ); ` +
      `${os.cpus().length} CPUs, Node ${process.version}, ${new Date().toISOString()}`,
  );
  const load0 = os.loadavg()[0]!;
  // Warm up the executor's connections and tool host (its own session, not counted).
  const warmUp = await gw.newSession();
  for (let i = 0; i < 5; i++) {
    await gw.call("code_execution", PRINT_1, { sessionId: warmUp });
    await gw.call("response", { text: "warm" }, { sessionId: warmUp });
    await bare(newRun());
  }

  const bareRun = newRun();
  const first = newRun();
  const noop = newRun();
  for (let i = 0; i < sessionCount; i++) {
    const session = await gw.newSession();
    await bare(bareRun);
    await timed(first, () => gw.call("code_execution", PRINT_1, { sessionId: session }), printed1);
    await timed(
      noop,
      () => gw.call("response", { text: "ping" }, { sessionId: session }),
      () => true,
    );
  }
  const warm = newRun();
  const session = await gw.newSession();
  await gw.call("code_execution", PRINT_1, { sessionId: session });
  for (let i = 0; i < warmCalls; i++) {
    await bare(bareRun);
    await timed(warm, () => gw.call("code_execution", PRINT_1, { sessionId: session }), printed1);
    await timed(
      noop,
      () => gw.call("response", { text: "ping" }, { sessionId: session }),
      () => true,
    );
  }
  console.log(line("code_execution, a session's first call", first));
  console.log(line("code_execution, warm (same session)", warm));
  console.log(line("baseline: bare bwrap + python3", bareRun));
  console.log(line("baseline: no-op tool round trip", noop));
  console.log(`  load average ${load0.toFixed(1)} -> ${os.loadavg()[0]!.toFixed(1)}`);
} finally {
  await stopProcess(executor);
  await gw.close();
}
process.exit(0);
