// Round trip of a no-op tool (`response`) from the gateway's outbox write to the result waking the
// caller, on BullMQ and on Kafka, at 1 and at 50 concurrent calls (p50/p99 and calls/s).
// Baselines, in the same run and at the same concurrency:
// - "no bus": the same call with no outbox, relay, bus or wake-up: its row written, the executor's
//   own processing (claim, policy, audit, the tool in a tool host, the result recorded) run in this
//   process, the row read back (the same kind of statements as the round trip's, on the pool). The
//   difference to the round trip is what the outbox, relay, bus and wake-up add.
// - "tool alone": the same tool asked of a tool host directly (the IPC and the tool, nothing else).
// A call that got no result in time is counted as missing, one that ended otherwise than
// `succeeded` as refused (by status); neither is a sample. Also printed: CPU time per call of the
// executor process (its tool host included), of this process (the gateway side), of the Postgres
// backends of the bench's database and of the Redis server (shared: an upper bound), and the load
// average.
// Needs the services (make dev-up or scripts/services/up.sh) and starts its own executor.
// Run: npx tsx bench/tool-roundtrip.ts [iterations=200] [transports=bullmq,kafka] [levels=1,50]
// Profiles: BENCH_EXECUTOR_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the executor
// (and its tool host); `node --cpu-prof --import tsx bench/tool-roundtrip.ts` this side.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import pino from "pino";
import { getConfig } from "../lib/config";
import { processEnv } from "../lib/config/env";
import { newExecutorId } from "../lib/executor/heartbeat";
import { processToolRequest, type ExecutorDeps } from "../lib/executor/process-request";
import { ToolHost } from "../lib/executor/tool-host";
import { createMasker } from "../lib/secrets/mask";
import { loadSecretStore } from "../lib/secrets/store";
import { createRedis } from "../lib/server/redis";
import pg from "pg";
import type { ToolRequest } from "../lib/bus/messages";
import {
  gatewaySide,
  startExecutor,
  stopProcess,
  type GatewaySide,
  type Transport,
} from "../tests/helpers/executor";

const iterations = Number(process.argv[2] ?? 200);
const transports = (process.argv[3] ?? "bullmq,kafka").split(",") as Transport[];
const levels = (process.argv[4] ?? "1,50").split(",").map(Number);
/** The executor's consumer concurrency, for the bench's executor and the in-process baseline. */
const executorConcurrency = Number(process.env.BENCH_EXECUTOR_CONCURRENCY ?? 8);
const WARM_UP = 20;
const ARGS = { text: "ping" };

interface Run {
  samples: number[];
  missing: number;
  refused: string[];
  wallMs: number;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** User + system CPU of a process and its live descendants, in ms (clock ticks of 10 ms). */
function treeCpuMs(pid: number): number {
  const stat = (p: number) => {
    try {
      const f = fs.readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" ");
      return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
    } catch {
      return undefined;
    }
  };
  const all = fs
    .readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map((d) => ({ pid: Number(d), s: stat(Number(d)) }));
  const inTree = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const { pid: p, s } of all)
      if (s && !inTree.has(p) && inTree.has(s.ppid)) {
        inTree.add(p);
        grew = true;
      }
  }
  let ticks = 0;
  for (const { pid: p, s } of all) if (s && inTree.has(p)) ticks += s.ticks;
  return ticks * 10;
}

/** CPU (ms) of the processes whose command line matches, summed: Postgres backends of this database. */
function cpuOfMatching(match: (cmdline: string) => boolean): number {
  let ticks = 0;
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, "utf8").replaceAll("\0", " ");
      if (!match(cmd)) continue;
      const f = fs.readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      /* gone meanwhile */
    }
  }
  return ticks * 10;
}
const database = new URL(getConfig().settings.database.url).pathname.slice(1);
/** Postgres backends serving this bench's database (their process titles name it). */
const postgresCpu = () => cpuOfMatching((c) => c.startsWith("postgres: ") && c.includes(` ${database} `));
/** The Redis server (shared with whatever else uses it: an upper bound). */
const redisCpu = () => cpuOfMatching((c) => /(^|\/)redis-server /.test(c));

/** Runs `one` `iterations` times, `concurrency` at once, and sorts each outcome into the run. */
async function drive(
  concurrency: number,
  one: (worker: number) => Promise<{ status: string } | null>,
): Promise<Run> {
  const run: Run = { samples: [], missing: 0, refused: [], wallMs: 0 };
  let next = 0;
  const worker = async (w: number) => {
    while (next < iterations) {
      next++;
      const t0 = performance.now();
      let done: { status: string } | null;
      try {
        done = await one(w);
      } catch (err) {
        run.refused.push(`error: ${(err as Error).message.slice(0, 80)}`);
        continue;
      }
      const ms = performance.now() - t0;
      if (!done) run.missing++;
      else if (done.status !== "succeeded") run.refused.push(done.status);
      else run.samples.push(ms);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  run.wallMs = performance.now() - t0;
  return run;
}

function line(label: string, run: Run, extra = ""): string {
  const s = [...run.samples].sort((a, b) => a - b);
  const refused = run.refused.length
    ? `, ${run.refused.length} refused: ${[...new Set(run.refused)].join(", ").slice(0, 160)}`
    : "";
  const rate = ((run.samples.length / run.wallMs) * 1000).toFixed(0);
  return `  ${label.padEnd(34)} p50 ${pct(s, 50).toFixed(2).padStart(7)} ms  p99 ${pct(s, 99).toFixed(2).padStart(7)} ms  ${rate.padStart(5)} calls/s  (${s.length} samples, ${run.missing} missing${refused}${extra})`;
}

/** A semaphore of `n` slots: the in-process baseline runs as many at once as the executor would. */
function slots(n: number) {
  let free = n;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (free > 0) free--;
    else await new Promise<void>((r) => waiting.push(r));
    try {
      return await fn();
    } finally {
      const w = waiting.shift();
      if (w) w();
      else free++;
    }
  };
}

/** The executor's processing in this process, with no outbox, relay, bus or wake-up around it. */
function noBusBaseline(gw: GatewaySide, host: ToolHost) {
  const { settings, tenants } = getConfig();
  const secrets = loadSecretStore({ env: processEnv(), tenants });
  const deps: ExecutorDeps = {
    db: gw.db,
    redis: createRedis(settings.redis.url),
    bus: gw.bus, // only for dead letters, which a valid request never sends
    host,
    executorId: newExecutorId(),
    settings,
    tenants,
    secrets,
    masker: createMasker(secrets.all()),
    // The executor logs at info too; here the lines go nowhere, but are still made.
    log: pino({ level: "info" }, fs.createWriteStream("/dev/null")),
    deliver: async () => undefined,
  };
  const limit = slots(executorConcurrency);
  // Its own pool, so the bench measures the same statements whatever the code under test uses.
  const sql = new pg.Pool({ connectionString: settings.database.url, max: executorConcurrency + 2 });
  return {
    async call(sessionId: string) {
      const toolCallId = randomUUID();
      // The same kind of statements as the round trip's (lib/tool-calls), less the outbox row.
      await sql.query({
        name: "bench-call-insert",
        text: `INSERT INTO tool_calls (id, session_id, tool, arguments, status, created_at)
               VALUES ($1::uuid, $2::uuid, 'response', $3::jsonb, 'pending', now() AT TIME ZONE 'UTC')`,
        values: [toolCallId, sessionId, JSON.stringify(ARGS)],
      });
      const request: ToolRequest = {
        version: 1,
        toolCallId,
        sessionId,
        tenantId: gw.tenantId,
        tool: "response",
        arguments: ARGS,
        requestedAt: new Date().toISOString(),
      };
      await limit(() => processToolRequest(JSON.stringify(request), deps));
      const { rows } = await sql.query<{ status: string }>({
        name: "bench-call-read",
        text: "SELECT id, status, result, error FROM tool_calls WHERE id = $1::uuid",
        values: [toolCallId],
      });
      return rows[0] ?? null;
    },
    close: async () => {
      deps.redis.disconnect();
      await sql.end();
    },
  };
}

function toolAlone(host: ToolHost, sessionId: string, tenantId: string) {
  const limits = {
    timeoutMs: 10_000,
    memoryBytes: 256 << 20,
    cpuSeconds: 10,
    maxProcesses: 32,
    outputBytes: 65_536,
    tmpBytes: 64 << 20,
    uid: 60_000,
  };
  return async () => {
    const outcome = await host.run(
      {
        tool: "response",
        args: ARGS,
        ctx: {
          toolCallId: randomUUID(),
          sessionId,
          tenantId,
          workspace: "",
          limits,
          httpAllowedHosts: [],
        },
        warmSandboxes: 0,
      },
      20_000,
    );
    return { status: outcome.status };
  };
}

async function measure(transport: Transport) {
  const gw = await gatewaySide(transport);
  const host = new ToolHost();
  const baseline = noBusBaseline(gw, host);
  const executor = await startExecutor(transport, {
    SOMA_EXECUTOR_CONCURRENCY: String(executorConcurrency),
    ...(process.env.BENCH_EXECUTOR_NODE_OPTIONS
      ? { NODE_OPTIONS: process.env.BENCH_EXECUTOR_NODE_OPTIONS }
      : {}),
  });
  try {
    const sessions = await Promise.all(Array.from({ length: Math.max(...levels) }, () => gw.newSession()));
    const alone = toolAlone(host, sessions[0]!, gw.tenantId);
    // Warm up: the tool hosts, Prisma, OPA and the broker connections (partitions assigned).
    for (let i = 0; i < WARM_UP; i++) {
      await gw.call("response", { text: "warm" }, { sessionId: sessions[i % sessions.length]! });
      await baseline.call(sessions[0]!);
      await alone();
    }
    console.log(`${transport} (executor concurrency ${executorConcurrency}, ${iterations} calls a level)`);
    for (const concurrency of levels) {
      const load0 = os.loadavg()[0]!;
      const execCpu0 = treeCpuMs(executor.pid!);
      const selfCpu0 = process.cpuUsage();
      const [pg0, redis0] = [postgresCpu(), redisCpu()];
      const roundTrip = await drive(concurrency, (w) =>
        gw.call("response", ARGS, { sessionId: sessions[w]!, timeoutMs: 30_000 }).catch(() => null),
      );
      const execCpu = (treeCpuMs(executor.pid!) - execCpu0) / iterations;
      const self = process.cpuUsage(selfCpu0);
      const selfCpu = (self.user + self.system) / 1000 / iterations;
      const pgCpu = (postgresCpu() - pg0) / iterations;
      const redisCpuPerCall = (redisCpu() - redis0) / iterations;
      const noBus = await drive(concurrency, (w) => baseline.call(sessions[w]!));
      const toolOnly = await drive(concurrency, () => alone());
      const load1 = os.loadavg()[0]!;
      console.log(
        line(
          `round trip, ${concurrency} at once`,
          roundTrip,
          `; CPU per call: executor ${execCpu.toFixed(1)} ms, gateway side ${selfCpu.toFixed(1)} ms, ` +
            `Postgres ${pgCpu.toFixed(1)} ms, Redis ${redisCpuPerCall.toFixed(1)} ms`,
        ),
      );
      console.log(line(`  baseline: no bus`, noBus));
      console.log(line(`  baseline: tool alone`, toolOnly));
      console.log(`  load average ${load0.toFixed(1)} -> ${load1.toFixed(1)}`);
    }
  } finally {
    await stopProcess(executor);
    host.close();
    await baseline.close();
    await gw.close();
  }
}

console.log(
  `tool round trip: outbox write -> result in the caller; ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), ` +
    `Node ${process.version}, ${new Date().toISOString()}`,
);
for (const transport of transports) await measure(transport);
process.exit(0);
