// What the gateway adds to streaming: the time from the provider writing its first token to the
// client receiving it, over socket.io and over SSE, at 1, 50, 200 and 1,000 concurrent sessions
// (p50/p99); and the gateway's memory with 1,000 connected idle sockets. SSE two ways: the turn's
// own stream (POST .../messages with Accept: text/event-stream, one request per turn) and a session
// followed with GET .../events while its messages are POSTed (202), as a web client does. Baseline,
// same run: the same stream read straight from the provider. A turn without a provider timestamp is
// counted missing, never a 0 ms sample; refusals, failed turns and turns that never ended (within
// a round's time bound) are counted and named.
// The test provider runs in a process of its own (bench/lib/chat-provider-process.ts) and stamps its
// first tokens with the clock the clients use (performance.timeOrigin + now(), checked each run), so
// the clients' process (this one) and the provider do not delay each other; each line prints this
// process's and the provider's event-loop delay, since a stall here between the provider's stamp and
// the client's still counts as the gateway's time. Its tokens come
// 200 ms apart ([[delay:200]]), so a turn's start-up work (rows, history, the provider request) is
// done before its first token and the figure is what streaming itself costs. With many sessions
// sending at once, the other sessions' start-up work is not: their turns are still starting when
// the first tokens come, on the same event loop. `delayMs` (e.g. 2000) puts the first tokens after
// every turn of the round has started, so the figure is what streaming adds with that many
// sessions streaming.
// Needs the services (make dev-up or scripts/services/up.sh) and a production build (npx next build).
// Run: npx tsx bench/chat-latency.ts [rounds=5] [levels=1,50,200,1000] [delayMs=200]
// (at 1,000 sessions: 2 rounds at most, socket.io and the followed SSE stream only; the idle-socket
// memory figure is skipped when BENCH_SKIP_MEMORY=1)
import fs from "node:fs";
import { randomUUID } from "node:crypto";
import OpenAI from "openai";
import { createDb } from "../lib/server/db";
import { getConfig } from "../lib/config";
import { SseParser } from "../lib/http/sse-parse";
import {
  client,
  connectChat,
  emitAck,
  postMessageSse,
  readSse,
  seedUser,
  startGateway,
  type ChatClientSocket,
} from "../tests/helpers/chat";
import type { SessionEvent } from "../lib/realtime/events";
import { stopProcess } from "../tests/helpers/services";
import { reportLoggedErrors } from "./lib/processes";
import { startProviderProcess } from "./lib/chat-provider";
import { loopDelay } from "./lib/child-rpc";
import { stallRecorder } from "./lib/stalls";

const rounds = Number(process.argv[2] ?? 5);
const levels = (process.argv[3] ?? "1,50,200,1000").split(",").map(Number);
const tokenDelayMs = Number(process.argv[4] ?? 200);
if (
  !Number.isInteger(rounds) ||
  rounds < 1 ||
  levels.some((l) => !Number.isInteger(l) || l < 1) ||
  !Number.isInteger(tokenDelayMs) ||
  tokenDelayMs < 0
)
  throw new Error("usage: chat-latency.ts [rounds>=1] [levels, e.g. 1,50,200,1000] [delayMs>=0]");
/** A round's turns not over after this long are counted as never ended and the round moves on. */
const ROUND_TIMEOUT_MS = 120_000;
const now = () => performance.timeOrigin + performance.now();
/** Messages the gateway refused (they would otherwise go unnoticed as missing samples). */
const refused: string[] = [];
/**
 * Counted turns whose first token reached the client with no provider timestamp for it: counted and
 * reported, never recorded as a sample (a 0 ms one would pull the percentiles down).
 */
let missing = 0;
/** Turns that ended failed (turn.failed), with their codes. */
const failed: string[] = [];
/** Turns whose end never arrived within the round's bound. */
let neverEnded = 0;

/**
 * Takes the provider's first-token stamp for `marker` (also in a warm-up round, so none is left
 * behind); for a counted turn whose first token reached the client at `t`, the sample, or nothing
 * (counted missing) without a stamp.
 */
async function gatewayAdded(samples: number[], marker: string, t: number, counted: boolean) {
  const sent = await provider.take("first", marker);
  if (!counted || !t) return;
  if (sent === undefined) missing++;
  else {
    samples.push(t - sent);
    if (!stalls.within(sent, t)) clean.push(t - sent);
  }
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** CPU seconds a process has used (user + system). */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

const provider = await startProviderProcess();
const benchLag = loopDelay();
/** Stalls of this process over 10 ms, and the current line's samples that had none inside. */
const stalls = stallRecorder(10);
let clean: number[] = [];
const { gateway, base } = await startGateway(provider, {
  LOG_LEVEL: "warn",
  SOMA_AGENT_MAX_STEPS: "2",
  SOMA_CONF_DIR: "bench/conf", // no rate limits or budgets in the way
  // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof": a CPU profile of the gateway, written when it stops.
  ...(process.env.BENCH_GATEWAY_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_GATEWAY_NODE_OPTIONS } : {}),
});
const db = createDb(getConfig().settings.database.url);
const user = await seedUser(db);
const api = client(base, user.token);

/** Resolves with `p`, or with `fallback` after ROUND_TIMEOUT_MS (the turn counted as never ended). */
function bounded<T>(p: Promise<T>, onTimeout: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((resolve) => {
      timer = setTimeout(() => {
        neverEnded++;
        resolve(onTimeout());
      }, ROUND_TIMEOUT_MS);
    }),
  ]);
}

/** Connects `n` sockets, 50 at a time (a thousand at once would time out the handshakes). */
async function connectMany(n: number): Promise<ChatClientSocket[]> {
  const sockets: ChatClientSocket[] = [];
  for (let i = 0; i < n; i += 50)
    sockets.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(50, n - i) }, () => connectChat(base, user.token)),
      )),
    );
  return sockets;
}

/** Creates `n` sessions, 50 at a time. */
async function newSessions(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 50)
    ids.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => api.newSession()))));
  return ids;
}

async function socketRun(concurrency: number, rounds: number): Promise<number[]> {
  const sockets = await connectMany(concurrency);
  const sessions = await newSessions(concurrency);
  const samples: number[] = [];
  try {
    await Promise.all(sockets.map((s, i) => emitAck(s, "session.join", { sessionId: sessions[i] })));
    for (let r = 0; r < rounds + 1; r++) {
      await Promise.all(
        sockets.map(async (s, i) => {
          let onEvent: ((e: SessionEvent) => void) | undefined;
          const marker = `bench ${randomUUID()} [[delay:${tokenDelayMs}]]`;
          let at = 0;
          const turn = new Promise<void>((resolve) => {
            onEvent = (e: SessionEvent) => {
              if (e.type === "message.delta" && !at) at = now();
              if (e.type === "turn.failed") failed.push(e.code);
              if (e.type === "turn.finished" || e.type === "turn.failed") resolve();
            };
            s.on("event", onEvent);
            void emitAck(s, "message.send", { sessionId: sessions[i], content: marker }).then((reply) => {
              if (reply.ok) return;
              refused.push(reply.error.code);
              resolve();
            });
          });
          await bounded(turn, () => undefined).finally(() => s.off("event", onEvent));
          // The first round warms up connections and caches; it is not counted.
          if (at) await gatewayAdded(samples, marker, at, r > 0);
        }),
      );
    }
  } finally {
    for (const s of sockets) s.disconnect();
  }
  return samples;
}

/** A session followed over GET /api/v1/sessions/{id}/events: every event, as it comes. */
async function followSse(id: string, onEvent: (e: SessionEvent) => void): Promise<() => void> {
  const controller = new AbortController();
  const res = await fetch(`${base}/api/v1/sessions/${id}/events`, {
    headers: { authorization: `Bearer ${user.token}`, accept: "text/event-stream" },
    signal: controller.signal,
  });
  if (res.status !== 200) throw new Error(`GET events: ${res.status}`);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const sse = new SseParser();
  void (async () => {
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (chunk.done) return;
      for (const e of sse.push(decoder.decode(chunk.value, { stream: true })))
        onEvent(JSON.parse(e.data) as SessionEvent);
    }
  })();
  return () => controller.abort();
}

/** SSE as a web client uses it: each session followed with GET .../events, its messages POSTed (202). */
async function sseFollowRun(concurrency: number, rounds: number): Promise<number[]> {
  const sessions = await newSessions(concurrency);
  const samples: number[] = [];
  const handlers = new Map<string, (e: SessionEvent) => void>();
  const stops: (() => void)[] = [];
  try {
    for (let i = 0; i < sessions.length; i += 50)
      stops.push(
        ...(await Promise.all(
          sessions.slice(i, i + 50).map((id) => followSse(id, (e) => handlers.get(id)?.(e))),
        )),
      );
    for (let r = 0; r < rounds + 1; r++) {
      await Promise.all(
        sessions.map(async (id) => {
          const marker = `bench ${randomUUID()} [[delay:${tokenDelayMs}]]`;
          let at = 0;
          const turn = new Promise<void>((resolve) => {
            handlers.set(id, (e) => {
              if (e.type === "message.delta" && !at) at = now();
              if (e.type === "turn.failed") failed.push(e.code);
              if (e.type === "turn.finished" || e.type === "turn.failed") resolve();
            });
            void api.post(`/api/v1/sessions/${id}/messages`, { content: marker }).then((res) => {
              if (res.status === 202) return;
              refused.push(String(res.json.error?.code ?? res.status));
              resolve();
            });
          });
          await bounded(turn, () => undefined).finally(() => handlers.delete(id));
          if (at) await gatewayAdded(samples, marker, at, r > 0);
        }),
      );
    }
  } finally {
    for (const stop of stops) stop();
  }
  return samples;
}

/** Baseline: the provider read directly (the openai client, streaming), no gateway in between. */
async function directRun(concurrency: number, rounds: number): Promise<number[]> {
  const direct = new OpenAI({ apiKey: "not-needed", baseURL: provider.url, maxRetries: 0 });
  const samples: number[] = [];
  for (let r = 0; r < rounds + 1; r++) {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        const marker = `bench ${randomUUID()} [[delay:${tokenDelayMs}]]`;
        let at = 0;
        try {
          const stream = await direct.chat.completions.create({
            model: "stub-chat",
            messages: [{ role: "user", content: marker }],
            stream: true,
          });
          for await (const chunk of stream) if (!at && chunk.choices[0]?.delta.content) at = now();
        } catch (err) {
          refused.push((err as Error).message.slice(0, 80));
          return;
        }
        if (!at) {
          if (r > 0) missing++;
          return;
        }
        await gatewayAdded(samples, marker, at, r > 0);
      }),
    );
  }
  return samples;
}

async function sseRun(concurrency: number, rounds: number): Promise<number[]> {
  const sessions = await newSessions(concurrency);
  const samples: number[] = [];
  for (let r = 0; r < rounds + 1; r++) {
    await Promise.all(
      sessions.map(async (id) => {
        const marker = `bench ${randomUUID()} [[delay:${tokenDelayMs}]]`;
        const res = await postMessageSse(base, user.token, id, marker);
        if (res.status !== 200) {
          refused.push(String(res.status));
          return;
        }
        let at = 0;
        let ended = false;
        await readSse(
          res,
          (e) => {
            if (e.type === "message.delta" && !at) at = now();
            if (e.type === "turn.failed") failed.push(e.code);
            ended ||= e.type === "turn.finished" || e.type === "turn.failed";
            return false;
          },
          ROUND_TIMEOUT_MS,
        );
        if (!ended) neverEnded++;
        if (!at) {
          if (r > 0) missing++; // the stream ended without a token
          return;
        }
        await gatewayAdded(samples, marker, at, r > 0);
      }),
    );
  }
  return samples;
}

type Lag = { p50: number; p99: number; max: number };
const fmtLag = (l: Lag) => `${l.p99.toFixed(0)}/${l.max.toFixed(0)}`;

function report(label: string, samples: number[], gatewayCpu: number, lags: { bench: Lag; provider: Lag }) {
  const s = [...samples].sort((a, b) => a - b);
  const c = clean.splice(0).sort((a, b) => a - b);
  const stalled = stalls.take().length;
  const errors = refused.splice(0);
  const failures = failed.splice(0);
  const lost = missing;
  const unended = neverEnded;
  missing = 0;
  neverEnded = 0;
  const named = (list: string[]) => (list.length ? `: ${[...new Set(list)].join(", ")}` : "");
  console.log(
    `${label.padEnd(30)} p50 ${pct(s, 50).toFixed(2).padStart(7)} ms   p99 ${pct(s, 99).toFixed(2).padStart(7)} ms   (${s.length} samples, ${lost} missing, ${errors.length} refused${named(errors)}, ${failures.length} failed turns${named(failures)}, ${unended} never ended, gateway CPU ${(gatewayCpu * 100).toFixed(0)}%, event-loop delay p99/max ms: bench ${fmtLag(lags.bench)}, provider ${fmtLag(lags.provider)}, load ${loadAverage()})\n${"".padEnd(32)}${s.length - c.length} samples had a stall of the bench's own loop over 10 ms inside (${stalled} such stalls); the other ${c.length}: p50 ${pct(c, 50).toFixed(2)} ms, p99 ${pct(c, 99).toFixed(2)} ms`,
  );
}

/** The gateway's RSS with 1,000 connected idle sockets, against its RSS before (target: +50 MB at most). */
async function idleMemory(): Promise<void> {
  const before = rssMb(gateway.pid!);
  const idle = await connectMany(1000);
  await new Promise((r) => setTimeout(r, 2000));
  const after = rssMb(gateway.pid!);
  console.log(
    `gateway memory: ${before.toFixed(0)} MB before, ${after.toFixed(0)} MB with ${idle.length} idle sockets (+${(after - before).toFixed(0)} MB, +${(((after - before) * 1024) / idle.length).toFixed(1)} KB per socket; target +50 MB)`,
  );
  for (const s of idle) s.disconnect();
}

function loadAverage(): string {
  return fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

try {
  // Memory first, on a fresh gateway, so heap grown by the load below does not hide it.
  if (process.env.BENCH_SKIP_MEMORY !== "1") await idleMemory();

  console.log("gateway-added latency, provider's first token -> client's first token:");
  console.log(
    `(baseline: the same read straight from the provider, same run; tokens ${tokenDelayMs} ms apart, the first ${tokenDelayMs} ms after the request)`,
  );
  console.log(
    `(the provider in its own process, its clock within ${provider.clock.low.toFixed(3)}..${provider.clock.high.toFixed(3)} ms of this one's)`,
  );
  const run = async (label: string, fn: () => Promise<number[]>) => {
    const cpu0 = cpuSeconds(gateway.pid!);
    const t0 = performance.now();
    benchLag.reset();
    await provider.lagReset();
    stalls.take();
    clean = [];
    const samples = await fn();
    const busy = (cpuSeconds(gateway.pid!) - cpu0) / ((performance.now() - t0) / 1000);
    report(label, samples, busy, { bench: benchLag.read(), provider: await provider.lag() });
  };
  for (const c of levels) {
    // A thousand sessions: two counted rounds at most, and no turn-per-request SSE (a thousand POSTs
    // held open at once measure the HTTP client more than the gateway).
    const big = c >= 1000;
    const n = big ? Math.min(rounds, 2) : rounds;
    await run(`baseline (direct), ${c}`, () => directRun(c, n));
    await run(`socket.io, ${c} sessions`, () => socketRun(c, n));
    await run(`SSE follow, ${c} sessions`, () => sseFollowRun(c, n));
    if (!big) await run(`SSE per turn, ${c} sessions`, () => sseRun(c, n));
  }

  reportLoggedErrors("gateway", gateway.output());
} finally {
  await stopProcess(gateway);
  stalls.stop();
  await provider.close();
  await db.$disconnect();
}
