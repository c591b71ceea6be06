// Scale-out: turns per second and turn latency (message sent → turn.finished received, p50/p99) at
// 400 sessions, with the gateway as one process and as two on the same port
// (SOMA_GATEWAY_PROCESSES, server/cluster/), back to back in one run. Each session is a socket.io
// client (websocket) sending its next message as soon as its last turn finished (closed loop, no
// think time), for a fixed window after a warm-up. Baselines, same run: the one-process gateway for
// the two-process one, and the provider read directly by 400 streams at once (what no gateway can
// beat). The offline provider runs in its own process, so its CPU is not the gateway's.
// Throughput counts the turns that finished inside the window; latency samples are the turns sent
// inside it, waited for after it too (a slow turn at the end is a sample, not dropped). A turn with
// no end in 60 s is counted unfinished, a refused message by its code, a failed turn as failed;
// none is a sample.
// Needs the services (make dev-up or scripts/services/up.sh) and a production build (npx next build).
// Run: npx tsx bench/scale-out.ts [sessions=400] [seconds=30] [order=1,2] [words=60]
// (order "1,2,1/20": a third run with one process and a database pool of 20, the connections two
// processes of the default 10 hold: what the second process adds beyond its pool.)
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import OpenAI from "openai";
import { createDb } from "../lib/server/db";
import { getConfig } from "../lib/config";
import { TURN_END_EVENTS, type SessionEvent } from "../lib/realtime/events";
import { slotOfTarget } from "../server/cluster/sticky";
import {
  client,
  connectChat,
  emitAck,
  seedUser,
  startGateway,
  type ChatClientSocket,
} from "../tests/helpers/chat";
import { freePort, startProcess, stopProcess, waitUntil } from "../tests/helpers/services";
import { loggedErrors } from "./lib/processes";

const sessions = Number(process.argv[2] ?? 400);
const seconds = Number(process.argv[3] ?? 30);
/** Gateway runs in order: N processes, or N/P for N processes with a database pool of P each. */
const order = (process.argv[4] ?? "1,2").split(",").map((token) => {
  const [n, pool] = token.split("/").map(Number);
  return { processes: n!, pool };
});
/** Long enough for the first wave of 400 turns, sent at once, to have passed two or three times. */
const WARMUP_MS = 20_000;
/** A turn with no end by then is counted unfinished. */
const TURN_TIMEOUT_MS = 60_000;
const words = Number(process.argv[5] ?? 60);
/**
 * What each turn asks for: the stub echoes it word by word, 10 ms a word (60 words: about 0.6 s a
 * turn), so the gateway's part of a turn is mostly streaming (a Redis event per word, sent on to the
 * socket) rather than the few Postgres statements every turn makes, whatever its length.
 */
const content = (n: number) =>
  `[[delay:10]] turn ${n}: ${Array.from({ length: words - 3 }, (_, i) => `word${i}`).join(" ")}`;

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** CPU seconds a process has used (user + system); 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** A process and its children (the gateway's primary and workers). */
function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    // gone
  }
  return [pid, ...children.flatMap(processTree)];
}

const loadAvg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");

/** /healthz on a connection of its own: which worker answered. */
function healthz(base: string): Promise<{ worker?: number }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${base}/healthz`, { agent: false }, (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve(JSON.parse(text) as { worker?: number }));
      })
      .on("error", reject);
  });
}

/** Sum (s) and count of the gateway's turn histograms, from its /metrics (every worker's added up). */
async function turnFigures(base: string): Promise<Map<string, { sum: number; count: number }>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const out = new Map<string, { sum: number; count: number }>();
  const series = /^somaagent_(turn_start_seconds|turn_duration_seconds)_(sum|count)(?:\{([^}]*)\})? (\S+)$/gm;
  for (const m of text.matchAll(series)) {
    const stage = /stage="(\w+)"/.exec(m[3] ?? "")?.[1];
    const key = m[1] === "turn_duration_seconds" ? "turn" : (stage ?? "?");
    const entry = out.get(key) ?? { sum: 0, count: 0 };
    if (m[2] === "sum") entry.sum += Number(m[4]);
    else entry.count += Number(m[4]);
    out.set(key, entry);
  }
  return out;
}

/**
 * The gateway's event-loop delay p99 since the previous scrape (prom-client resets it on each), the
 * workers' average: how long a ready callback (a Postgres reply in a transaction) waited its turn.
 */
async function loopLagMs(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^somaagent_nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(text)?.[1]) * 1000;
}

function meansMs(before: Map<string, { sum: number; count: number }>, after: typeof before): string {
  return [...after]
    .flatMap(([key, a]) => {
      const b = before.get(key) ?? { sum: 0, count: 0 };
      const n = a.count - b.count;
      return n > 0 ? [`${key} ${(((a.sum - b.sum) / n) * 1000).toFixed(1)}`] : [];
    })
    .join(" · ");
}

interface Window {
  start: number;
  end: number;
}

interface RunResult {
  label: string;
  samples: number[];
  finished: number;
  failed: number;
  unfinished: number;
  refused: string[];
  cpu: Record<string, number>;
  load: string;
  note?: string;
}

/** One session's page: sends, waits for its turn's end, sends again. */
class Session {
  private ends = new Map<string, { type: string; at: number }>();
  private waiters = new Map<string, () => void>();
  private sent = 0;

  constructor(
    readonly socket: ChatClientSocket,
    readonly sessionId: string,
  ) {
    socket.on("event", (e: SessionEvent) => {
      if (!TURN_END_EVENTS.has(e.type) || !("turnId" in e)) return;
      this.ends.set(e.turnId, { type: e.type, at: now() });
      this.waiters.get(e.turnId)?.();
    });
  }

  async run(win: Window, result: RunResult, stop: () => boolean): Promise<void> {
    await sleep(Math.random() * 2_000); // not all 400 in the same millisecond
    while (!stop()) {
      const sentAt = now();
      const reply = await emitAck<{ turnId: string }>(this.socket, "message.send", {
        sessionId: this.sessionId,
        content: content(++this.sent),
      });
      if (!reply.ok) {
        if (sentAt >= win.start && sentAt < win.end) result.refused.push(reply.error.code);
        await sleep(200);
        continue;
      }
      // Waited for even after the window: a slow turn sent inside it is a sample, not dropped.
      const end = await this.ended(reply.data.turnId);
      const sentInside = sentAt >= win.start && sentAt < win.end;
      if (!end) {
        if (sentInside) result.unfinished++;
        continue;
      }
      if (end.type !== "turn.finished") {
        if (sentInside) result.failed++;
        continue;
      }
      if (end.at >= win.start && end.at < win.end) result.finished++;
      if (sentInside) result.samples.push(end.at - sentAt);
    }
  }

  /** The turn's end, or undefined when none came in TURN_TIMEOUT_MS. */
  private ended(turnId: string): Promise<{ type: string; at: number } | undefined> {
    const take = () => {
      const end = this.ends.get(turnId);
      this.ends.delete(turnId);
      this.waiters.delete(turnId);
      return end;
    };
    if (this.ends.has(turnId)) return Promise.resolve(take());
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(take()), TURN_TIMEOUT_MS);
      this.waiters.set(turnId, () => {
        clearTimeout(timer);
        resolve(take());
      });
    });
  }
}

// The offline provider, in a process of its own.
const providerPort = await freePort();
const provider = startProcess("node", [
  "--import",
  "tsx",
  "server/offline-provider/main.ts",
  "--port",
  String(providerPort),
]);
const providerUrl = `http://127.0.0.1:${providerPort}/v1`;
await waitUntil(async () => (await fetch(`${providerUrl}/models`)).ok, 60_000, "the provider");

const db = createDb(getConfig().settings.database.url);
const user = await seedUser(db);

async function gatewayRun(processes: number, pool?: number): Promise<RunResult> {
  const gw = await startGateway(
    { url: providerUrl },
    {
      LOG_LEVEL: "warn",
      SOMA_AGENT_MAX_STEPS: "2",
      SOMA_CONF_DIR: "bench/conf", // no rate limits or budgets in the way
      SOMA_GATEWAY_PROCESSES: String(processes),
      ...(pool ? { SOMA_DATABASE_POOL_SIZE: String(pool) } : {}),
    },
  );
  const result: RunResult = {
    label: `gateway, ${processes} process${processes > 1 ? "es" : ""}${pool ? `, pool ${pool}` : ""}`,
    samples: [],
    finished: 0,
    failed: 0,
    unfinished: 0,
    refused: [],
    cpu: {},
    load: "",
  };
  const sockets: ChatClientSocket[] = [];
  try {
    if (processes > 1) {
      const seen = new Set<number>();
      await waitUntil(
        async () => {
          const h = await healthz(gw.base);
          if (h.worker !== undefined) seen.add(h.worker);
          return seen.size === processes;
        },
        90_000,
        "every worker to serve",
      );
    }
    const api = client(gw.base, user.token);
    for (let i = 0; i < sessions; i += 50)
      sockets.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(50, sessions - i) }, () => connectChat(gw.base, user.token)),
        )),
      );
    const perWorker = new Map<string, number>();
    for (const s of sockets) {
      const slot = String(slotOfTarget(`/socket.io/?sid=${s.io.engine.id}`) ?? "one");
      perWorker.set(slot, (perWorker.get(slot) ?? 0) + 1);
    }
    const ids: string[] = [];
    for (let i = 0; i < sockets.length; i += 50)
      ids.push(...(await Promise.all(sockets.slice(i, i + 50).map(() => api.newSession()))));
    const clients = sockets.map((s, i) => new Session(s, ids[i]!));
    await Promise.all(clients.map((c) => emitAck(c.socket, "session.join", { sessionId: c.sessionId })));

    const start = now() + WARMUP_MS;
    const win: Window = { start, end: start + seconds * 1000 };
    let stopped = false;
    const loops = clients.map((c) => c.run(win, result, () => stopped));
    await sleep(WARMUP_MS);
    const tree = processTree(gw.gateway.pid!);
    const cpu0 = {
      gateway: tree.reduce((t, p) => t + cpuSeconds(p), 0),
      provider: cpuSeconds(provider.pid!),
      bench: process.cpuUsage(),
    };
    const loads: string[] = [loadAvg()];
    const figures0 = await turnFigures(gw.base);
    await sleep(seconds * 1000);
    loads.push(loadAvg());
    const lag = await loopLagMs(gw.base); // since the scrape at the window's start
    const figures1 = await turnFigures(gw.base);
    const span = seconds;
    result.cpu = {
      gateway: (tree.reduce((t, p) => t + cpuSeconds(p), 0) - cpu0.gateway) / span,
      provider: (cpuSeconds(provider.pid!) - cpu0.provider) / span,
      bench: (() => {
        const d = process.cpuUsage(cpu0.bench);
        return (d.user + d.system) / 1e6 / span;
      })(),
    };
    result.load = loads.join(" → ");
    result.note = `sockets per worker: ${[...perWorker].map(([k, v]) => `${k}=${v}`).join(", ")}; gateway's mean ms (turn start by stage, whole turn): ${meansMs(figures0, figures1)}; event-loop delay p99 ${lag.toFixed(0)} ms`;
    stopped = true;
    await Promise.all(loops);
    const errors = loggedErrors(gw.gateway.output());
    if (errors.length)
      result.note += `; gateway logged ${errors.length} errors, first: ${errors[0]!.slice(0, 300)}`;
  } finally {
    for (const s of sockets) s.disconnect();
    await stopProcess(gw.gateway);
  }
  return result;
}

/** Baseline: the provider read directly, the same number of streams at once, closed loop. */
async function directRun(): Promise<RunResult> {
  const direct = new OpenAI({ apiKey: "not-needed", baseURL: providerUrl, maxRetries: 0 });
  const result: RunResult = {
    label: "baseline: provider direct",
    samples: [],
    finished: 0,
    failed: 0,
    unfinished: 0,
    refused: [],
    cpu: {},
    load: "",
  };
  const start = now() + WARMUP_MS;
  const win: Window = { start, end: start + seconds * 1000 };
  let stopped = false;
  const cpu0 = { provider: cpuSeconds(provider.pid!), bench: process.cpuUsage() };
  const loops = Array.from({ length: sessions }, async (_, i) => {
    let n = 0;
    while (!stopped) {
      const sentAt = now();
      try {
        const stream = await direct.chat.completions.create({
          model: "stub-chat",
          messages: [{ role: "user", content: content(++n) }],
          stream: true,
        });
        for await (const chunk of stream) void chunk;
      } catch (err) {
        if (sentAt >= win.start && sentAt < win.end) result.refused.push((err as Error).message.slice(0, 60));
        await sleep(200);
        continue;
      }
      const at = now();
      if (at >= win.start && at < win.end) result.finished++;
      if (sentAt >= win.start && sentAt < win.end) result.samples.push(at - sentAt);
    }
    void i;
  });
  const loads = [loadAvg()];
  await sleep(WARMUP_MS + seconds * 1000);
  loads.push(loadAvg());
  const span = (WARMUP_MS + seconds * 1000) / 1000;
  result.cpu = {
    provider: (cpuSeconds(provider.pid!) - cpu0.provider) / span,
    bench: (() => {
      const d = process.cpuUsage(cpu0.bench);
      return (d.user + d.system) / 1e6 / span;
    })(),
  };
  result.load = loads.join(" → ");
  stopped = true;
  await Promise.all(loops);
  return result;
}

function report(r: RunResult) {
  const s = [...r.samples].sort((a, b) => a - b);
  const refused = r.refused.length
    ? `${r.refused.length} refused: ${[...new Set(r.refused)].join(", ")}`
    : "0 refused";
  const cpu = Object.entries(r.cpu)
    .map(([k, v]) => `${k} ${(v * 100).toFixed(0)}%`)
    .join(", ");
  console.log(
    `${r.label.padEnd(28)} ${(r.finished / seconds).toFixed(1).padStart(7)} turns/s   p50 ${pct(s, 50).toFixed(0).padStart(6)} ms   p99 ${pct(s, 99).toFixed(0).padStart(6)} ms   (${s.length} samples, ${r.failed} failed, ${r.unfinished} unfinished, ${refused}; CPU ${cpu}; load ${r.load})`,
  );
  if (r.note) console.log(`${"".padEnd(28)} ${r.note}`);
}

try {
  console.log(
    `scale-out: ${sessions} sessions, ${words}-word answers, closed loop, ${seconds} s measured after ${WARMUP_MS / 1000} s warm-up; ${os.availableParallelism()} cores; database pool ${getConfig().settings.database.poolSize} per process unless said; load ${loadAvg()}`,
  );
  report(await directRun());
  for (const run of order) report(await gatewayRun(run.processes, run.pool));
} finally {
  await stopProcess(provider);
  await db.$disconnect();
}
