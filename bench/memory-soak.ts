// The gateway's memory over a long run: sessions on socket.io, each sending a message every
// `interval` seconds and reading its turn to the end, for `seconds`. Every 30 s the gateway's RSS,
// heap used and external memory (its own /metrics) are printed; the growth is measured after a
// warm-up (the first 5 minutes), against the same process's RSS right after the warm-up. Target
// (issue 15, goal 6): less than 10 % over an hour at 200 sessions, a turn per session per 10 s.
// Turns that fail, are refused or never end are counted and printed (a soak that only idles proves
// nothing).
// Needs the services (make dev-up or scripts/services/up.sh, then npx tsx scripts/migrate.ts) and a
// production build (npx next build).
// Run: npx tsx bench/memory-soak.ts [seconds=3600] [sessions=200] [intervalSeconds=10] [warmupSeconds=300]
import fs from "node:fs";
import { randomUUID } from "node:crypto";
import { startStubProvider } from "../server/offline-provider/server";
import { createDb } from "../lib/server/db";
import { getConfig } from "../lib/config";
import {
  client,
  connectChat,
  emitAck,
  seedUser,
  startGateway,
  type ChatClientSocket,
} from "../tests/helpers/chat";
import { stopProcess } from "../tests/helpers/services";
import { reportLoggedErrors } from "./lib/processes";

function positiveArg(i: number, fallback: number, what: string): number {
  const raw = process.argv[i];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${what} must be a positive number, not "${raw}"`);
  return n;
}

const seconds = positiveArg(2, 3600, "seconds");
const sessions = Math.round(positiveArg(3, 200, "sessions"));
const intervalS = positiveArg(4, 10, "intervalSeconds");
const warmupS = Math.min(positiveArg(5, 300, "warmupSeconds"), seconds / 2);
const SAMPLE_S = 30;
/** A turn not over after this long is counted as never ended (and the session sends its next one). */
const TURN_TIMEOUT_MS = 30_000;

const stub = await startStubProvider();
const { gateway, base } = await startGateway(stub, {
  LOG_LEVEL: "warn",
  SOMA_AGENT_MAX_STEPS: "2",
  SOMA_CONF_DIR: "bench/conf", // no rate limits or budgets in the way
});
const db = createDb(getConfig().settings.database.url);
const user = await seedUser(db);
const api = client(base, user.token);

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** The gateway's own view of its heap (prom-client's default metrics on /metrics, loopback only). */
async function heapMb(): Promise<{ heapUsed: number; external: number } | undefined> {
  try {
    const text = await (await fetch(`${base}/metrics`)).text();
    const read = (name: string) =>
      Number(new RegExp(`^${name} (\\S+)`, "m").exec(text)?.[1] ?? NaN) / 2 ** 20;
    return {
      heapUsed: read("somaagent_nodejs_heap_size_used_bytes"),
      external: read("somaagent_nodejs_external_memory_bytes"),
    };
  } catch {
    return undefined; // printed as "-": the RSS is what the target is about
  }
}

function loadAverage(): string {
  return fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

const counts = { completed: 0, failed: 0, refused: 0, neverEnded: 0 };
const failures = new Map<string, number>();
let stopping = false;

/** One session: a message every `intervalS` seconds (the first after `offsetMs`), each read to its end. */
async function runSession(socket: ChatClientSocket, sessionId: string, offsetMs: number, endAt: number) {
  await new Promise((r) => setTimeout(r, offsetMs));
  let next = performance.now();
  while (!stopping && performance.now() < endAt) {
    const outcome = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => done("never ended"), TURN_TIMEOUT_MS);
      let turnId: string | undefined;
      const early: { type: string; turnId?: string }[] = [];
      const onEvent = (e: { type: string; turnId?: string }) => {
        if (turnId === undefined) early.push(e);
        else if (e.turnId === turnId) settle(e.type);
      };
      const settle = (type: string) => {
        if (type === "turn.finished") done("completed");
        else if (type === "turn.failed" || type === "turn.cancelled" || type === "turn.interrupted")
          done(type);
      };
      function done(how: string) {
        clearTimeout(timer);
        socket.off("event", onEvent);
        resolve(how);
      }
      socket.on("event", onEvent);
      void emitAck<{ turnId: string }>(socket, "message.send", {
        sessionId,
        content: `soak ${randomUUID()}`,
      }).then((reply) => {
        if (!reply.ok) return done(`refused: ${reply.error.code}`);
        turnId = reply.data.turnId;
        for (const e of early) if (e.turnId === turnId) settle(e.type);
      });
    });
    if (outcome === "completed") counts.completed++;
    else {
      if (outcome.startsWith("refused")) counts.refused++;
      else if (outcome === "never ended") counts.neverEnded++;
      else counts.failed++;
      failures.set(outcome, (failures.get(outcome) ?? 0) + 1);
    }
    next += intervalS * 1000;
    const wait = next - performance.now();
    if (wait > 0)
      await new Promise((r) => setTimeout(r, Math.min(wait, Math.max(0, endAt - performance.now()))));
    else next = performance.now(); // behind: the next turn goes now, the schedule restarts from here
  }
}

interface Sample {
  t: number;
  rss: number;
  heapUsed?: number;
  external?: number;
}
const samples: Sample[] = [];

const sockets: ChatClientSocket[] = [];
try {
  for (let i = 0; i < sessions; i += 50)
    sockets.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(50, sessions - i) }, () => connectChat(base, user.token)),
      )),
    );
  const ids = await Promise.all(sockets.map(() => api.newSession()));
  await Promise.all(sockets.map((s, i) => emitAck(s, "session.join", { sessionId: ids[i] })));

  console.log(
    `memory soak: ${sessions} sessions, a turn per session every ${intervalS} s, ${seconds} s (warm-up ${warmupS} s); gateway pid ${gateway.pid}`,
  );
  console.log(
    "   t (s)   RSS MB   heap used MB   external MB   turns ok / failed / refused / never ended   load avg",
  );
  const t0 = performance.now();
  const endAt = t0 + seconds * 1000;
  const runs = sockets.map((s, i) => runSession(s, ids[i]!, (i / sessions) * intervalS * 1000, endAt));
  const sample = async () => {
    const t = (performance.now() - t0) / 1000;
    const rss = rssMb(gateway.pid!);
    const heap = await heapMb();
    samples.push({ t, rss, ...heap });
    console.log(
      `${t.toFixed(0).padStart(8)} ${rss.toFixed(1).padStart(8)} ${(heap?.heapUsed.toFixed(1) ?? "-").padStart(14)} ${(heap?.external.toFixed(1) ?? "-").padStart(13)}   ${`${counts.completed} / ${counts.failed} / ${counts.refused} / ${counts.neverEnded}`.padStart(40)}   ${loadAverage()}`,
    );
  };
  await sample();
  const sampler = setInterval(() => void sample(), SAMPLE_S * 1000);
  await Promise.all(runs);
  clearInterval(sampler);
  await sample();

  const after = samples.filter((s) => s.t >= warmupS);
  const baseline = after[0];
  const last = samples.at(-1)!;
  if (!baseline || after.length < 2) {
    console.log("not enough samples after the warm-up to say anything about growth");
  } else {
    const peak = Math.max(...after.map((s) => s.rss));
    // Least squares over the samples after warm-up: a slope says more than two end points.
    const n = after.length;
    const mt = after.reduce((a, s) => a + s.t, 0) / n;
    const mr = after.reduce((a, s) => a + s.rss, 0) / n;
    const slope =
      after.reduce((a, s) => a + (s.t - mt) * (s.rss - mr), 0) /
      after.reduce((a, s) => a + (s.t - mt) ** 2, 0);
    const growth = ((last.rss - baseline.rss) / baseline.rss) * 100;
    console.log(
      `RSS after warm-up (t=${baseline.t.toFixed(0)} s): ${baseline.rss.toFixed(1)} MB; at the end (t=${last.t.toFixed(0)} s): ${last.rss.toFixed(1)} MB: growth ${growth.toFixed(1)} % (target < 10 %: ${growth < 10 ? "met" : "NOT met"}); peak after warm-up ${peak.toFixed(1)} MB (+${(((peak - baseline.rss) / baseline.rss) * 100).toFixed(1)} %); trend ${(slope * 3600).toFixed(1)} MB per hour`,
    );
    if (baseline.heapUsed !== undefined && last.heapUsed !== undefined)
      console.log(
        `heap used ${baseline.heapUsed.toFixed(1)} -> ${last.heapUsed.toFixed(1)} MB, external ${baseline.external?.toFixed(1)} -> ${last.external?.toFixed(1)} MB`,
      );
  }
  console.log(
    `turns: ${counts.completed} completed, ${counts.failed} failed, ${counts.refused} refused, ${counts.neverEnded} never ended${failures.size ? ` (${[...failures].map(([k, v]) => `${k}: ${v}`).join(", ")})` : ""}`,
  );
  reportLoggedErrors("gateway", gateway.output());
} finally {
  stopping = true;
  for (const s of sockets) s.disconnect();
  await stopProcess(gateway);
  await stub.close();
  await db.$disconnect();
}
