// Voice latency: WebRTC clients (werift, tests/helpers/voice-client.ts) in caller processes of their
// own (bench/lib/voice-caller.ts) speak espeak-ng phrases with a known end of speech to a real
// gateway process, whose speech services are the offline provider in its own process
// (server/offline-provider/main.ts), on loopback. The gateway, the provider and the callers each have
// their own event loop; each figure is taken on one process's clock (the caller's: the end of the
// speech it sent → the first agent audio it received).
//   e2e       end of the person's speech → first agent audio at the client (target p50 ≤ 800 ms at
//             silenceMs 500, p90 ≤ 1,000)
//   barge-in  onset of the person's speech over the agent → the agent's audio silent at the client
//             (target p50 ≤ 150 ms, p90 ≤ 250)
//   parallel  10 calls at once, 3 questions each, staggered as people talk: e2e and the gateway's CPU
//             per call (target ≤ 10 % of a core); then 10 questions ending in the same instant
// Beside each figure, its baseline from the same run: what the pieces cost called directly (the
// endpointing silence, the provider's transcription and first speech byte), so the rest is the
// pipeline; and how late each process's event loop ran meanwhile, with the load average.
// Needs the services (make dev-up or scripts/services/up.sh) and a production build (npx next build).
// Run: npx tsx bench/voice-latency.ts [turns=30] [bargeIns=10] [calls=10] [callersPerProcess=calls]
// (SOMA_BENCH_CPU_PROF=<dir>: a CPU profile of the gateway)
import os from "node:os";
import { parseWav, wavFromSamples } from "../lib/audio/wav";
import { getConfig } from "../lib/config";
import { speak } from "../server/offline-provider/speech/espeak";
import { createDb } from "../lib/server/db";
import { client, seedUser, startGateway } from "../tests/helpers/chat";
import { stopProcess } from "../tests/helpers/services";
import { fmtLoop, loopDelayMonitor, type LoopDelay } from "./lib/loop-delay";
import { cpuSeconds, startProviderProcess, treeCpuSeconds } from "./lib/processes";
import { CallerProcess, type Phrase } from "./lib/voice-callers";
import type { BargeIn, Turn } from "./lib/voice-caller";

const turns = Number(process.argv[2] ?? 30);
const bargeIns = Number(process.argv[3] ?? 10);
const parallel = Number(process.argv[4] ?? 10);
const perProcess = Math.max(1, Number(process.argv[5] ?? parallel));
const SILENCE_MS = 500;
const LOUD = 500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const fmt = (xs: number[]) =>
  `p50 ${pct(xs, 50).toFixed(0)} ms, p90 ${pct(xs, 90).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms (n=${xs.length})`;
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
const bench = loopDelayMonitor();

/** A phrase as 24 kHz PCM, with where its speech starts and how much silence trails it. */
async function phrase(text: string): Promise<Phrase> {
  const pcm = parseWav(await speak(text, "alloy", 1, 24_000))!.samples;
  let first = 0;
  let last = pcm.length - 1;
  while (first < pcm.length && Math.abs(pcm[first]!) < LOUD) first++;
  while (last > 0 && Math.abs(pcm[last]!) < LOUD) last--;
  return { pcm, onsetMs: (first / 24_000) * 1000, trailMs: ((pcm.length - 1 - last) / 24_000) * 1000 };
}

const loadAtStart = load();
const provider = await startProviderProcess();
const env: Record<string, string> = {
  LOG_LEVEL: "warn",
  SOMA_CONF_DIR: "bench/conf", // no rate limits or budgets in the way
  SOMA_WEBRTC_HOST: "127.0.0.1",
  SOMA_SPEECH_INPUT: "hands-free",
  SOMA_SPEECH_TURN_DETECTION_SILENCE_MS: String(SILENCE_MS),
};
for (const role of ["STT", "TTS"]) {
  env[`SOMA_SPEECH_${role}_PROVIDER`] = "stub";
  env[`SOMA_SPEECH_${role}_MODEL`] = `stub-${role.toLowerCase()}`;
  env[`SOMA_SPEECH_${role}_BASE_URL`] = provider.url;
}
// SOMA_BENCH_CPU_PROF=<dir>: the gateway writes a CPU profile there when it stops (node --cpu-prof).
if (process.env.SOMA_BENCH_CPU_PROF)
  env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${process.env.SOMA_BENCH_CPU_PROF}`;
const { gateway, base } = await startGateway({ url: provider.url }, env);
const callers: CallerProcess[] = [];
// A failed run must not leave its gateway, provider or callers behind.
process.on("exit", () => {
  gateway.kill("SIGTERM");
  provider.child.kill("SIGTERM");
  for (const c of callers) c.child.kill("SIGTERM");
});
const db = createDb(getConfig().settings.database.url);
const questions = [await phrase("what is six times seven"), await phrase("hello how are you today")];
const story = await phrase("tell me a long story about the sea");
const stop = await phrase("stop talking please");

/** The gateway's event-loop lag since its last scrape (prom-client resets it on each). */
async function gatewayLoop(): Promise<LoopDelay> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const v = (name: string) =>
    Math.max(
      0,
      Number(new RegExp(`^somaagent_nodejs_eventloop_lag_${name}_seconds (\\S+)`, "m").exec(text)?.[1]) *
        1000 -
        10,
    );
  if (process.env.SOMA_BENCH_RAW && Number.isNaN(v("p99")))
    console.log(
      text
        .split("\n")
        .filter((l) => l.includes("eventloop"))
        .join("\n"),
    );
  return { p50: v("p50"), p99: v("p99"), max: v("max") };
}

/** Sums and counts of the gateway's stage histograms (voice stages, turn-start stages) now. */
async function stageTotals(): Promise<Map<string, { sum: number; count: number }>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const out = new Map<string, { sum: number; count: number }>();
  const re = /^somaagent_(voice_stage|turn_start)_seconds_(sum|count)\{stage="([^"]+)"\} (\S+)$/gm;
  for (const m of text.matchAll(re)) {
    const key = `${m[1] === "voice_stage" ? "" : "start."}${m[3]}`;
    const t = out.get(key) ?? { sum: 0, count: 0 };
    t[m[2] as "sum" | "count"] = Number(m[4]);
    out.set(key, t);
  }
  return out;
}

/** Each stage's mean over a phase (ms), from two readings of stageTotals. */
function stageMeans(before: Map<string, { sum: number; count: number }>, after: typeof before): string {
  const parts: string[] = [];
  for (const [k, a] of after) {
    const b = before.get(k) ?? { sum: 0, count: 0 };
    const n = a.count - b.count;
    if (n > 0) parts.push(`${k} ${(((a.sum - b.sum) / n) * 1000).toFixed(0)}`);
  }
  return parts.join(", ");
}

/** Runs `work`, then prints how late every process's event loop ran meanwhile and the load. */
async function phase<T>(name: string, work: () => Promise<T>): Promise<T> {
  await Promise.all([gatewayLoop(), provider.loopDelay(), ...callers.map((c) => c.loop())]);
  bench.take();
  const stagesBefore = await stageTotals();
  const out = await work();
  loops.push(`   ${name}: gateway stage means (ms): ${stageMeans(stagesBefore, await stageTotals())}`);
  const [gw, pv, ...cl] = await Promise.all([
    gatewayLoop(),
    provider.loopDelay(),
    ...callers.map((c) => c.loop()),
  ]);
  const worst = cl.reduce<LoopDelay>(
    (w, d) => ({ p50: Math.max(w.p50, d.p50), p99: Math.max(w.p99, d.p99), max: Math.max(w.max, d.max) }),
    { p50: 0, p99: 0, max: 0 },
  );
  loops.push(
    `   ${name}: event loops late by gateway ${fmtLoop(gw)}; provider ${fmtLoop(pv)}; callers (worst of ${cl.length}) ${fmtLoop(worst)}; bench ${fmtLoop(bench.take())}; load ${load()}`,
  );
  return out;
}
const loops: string[] = [];

// Baselines: the provider's pieces called directly, in this run.
const sttDirect: number[] = [];
const ttsDirect: number[] = [];
for (let i = 0; i < 10; i++) {
  const form = new FormData();
  form.set("file", new Blob([new Uint8Array(wavFromSamples(questions[0]!.pcm, 24_000))]), "q.wav");
  form.set("model", "stub-stt");
  let t = performance.now();
  await (await fetch(`${provider.url}/audio/transcriptions`, { method: "POST", body: form })).json();
  sttDirect.push(performance.now() - t);
  t = performance.now();
  const res = await fetch(`${provider.url}/audio/speech`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "stub-tts",
      voice: "alloy",
      input: "Echo: what is six times seven.",
      response_format: "pcm",
    }),
  });
  const reader = res.body!.getReader();
  await reader.read();
  ttsDirect.push(performance.now() - t);
  await reader.cancel();
}
// Ten transcriptions at once, straight to the provider: what its recognisers queue.
const sttTen: number[] = await Promise.all(
  Array.from({ length: 10 }, async () => {
    const form = new FormData();
    form.set("file", new Blob([new Uint8Array(wavFromSamples(questions[1]!.pcm, 24_000))]), "q.wav");
    form.set("model", "stub-stt");
    const t = performance.now();
    await (await fetch(`${provider.url}/audio/transcriptions`, { method: "POST", body: form })).json();
    return performance.now() - t;
  }),
);

async function newCaller(): Promise<CallerProcess> {
  const c = new CallerProcess();
  callers.push(c);
  await c.ready;
  await c.request({ cmd: "init", base, questions, story, stop });
  return c;
}

// One call: turns, then interruptions of a long answer.
const user = await seedUser(db);
const single = await newCaller();
const call = await single.request<number>({
  cmd: "start",
  token: user.token,
  sessionId: await client(base, user.token).newSession(),
});
let cpu = cpuSeconds(gateway.pid!);
let wall = performance.now();
const oneCall = await phase("one call", () => single.request<Turn[]>({ cmd: "turns", call, count: turns }));
const e2e = oneCall.map((t) => t.e2e);
const oneCallCpu = (cpuSeconds(gateway.pid!) - cpu) / ((performance.now() - wall) / 1000);
const bargeRuns = await phase("barge-in", () =>
  single.request<BargeIn[]>({ cmd: "bargeIns", call, count: bargeIns }),
);
const barge = bargeRuns.map((b) => b.ms);
const bargeLate = bargeRuns.map((b) => b.lateSend).filter((x) => !Number.isNaN(x));
await single.close();
callers.length = 0;

// Ten calls at once (ten users: one call per user) from caller processes, as ten people talk: each
// asks 3 questions, waits for the whole answer, pauses 0.5–1.5 s and asks again; the calls start
// 300 ms apart. Then the worst case: all ten finish a question in the same instant.
const users = await Promise.all(Array.from({ length: parallel }, () => seedUser(db)));
const procs = await Promise.all(Array.from({ length: Math.ceil(parallel / perProcess) }, () => newCaller()));
const placed = await Promise.all(
  users.map(async (u, i) => {
    const proc = procs[Math.floor(i / perProcess)]!;
    const sessionId = await client(base, u.token).newSession();
    return { proc, call: await proc.request<number>({ cmd: "start", token: u.token, sessionId }) };
  }),
);
const providerCpu10 = treeCpuSeconds(provider.child.pid!);
const callersCpu10 = procs.reduce((s, p) => s + treeCpuSeconds(p.child.pid!), 0);
cpu = cpuSeconds(gateway.pid!);
wall = performance.now();
const staggeredTurns = await phase("10 calls staggered", async () =>
  (
    await Promise.all(
      placed.map(({ proc, call }, i) =>
        proc.request<Turn[]>({ cmd: "talk", call, delayMs: i * 300, questions: 3, pauseMs: [500, 1_500] }),
      ),
    )
  ).flat(),
);
const staggered = staggeredTurns.map((t) => t.e2e);
if (process.env.SOMA_BENCH_RAW)
  console.log(
    staggeredTurns.map((t) => `${t.heard.toFixed(0)}/${t.piece.toFixed(0)}/${t.e2e.toFixed(0)}`).join(" "),
  );
const seconds10 = (performance.now() - wall) / 1000;
const perCallCpu = (cpuSeconds(gateway.pid!) - cpu) / seconds10 / parallel;
const providerCpu = (treeCpuSeconds(provider.child.pid!) - providerCpu10) / seconds10;
const callersCpu = (procs.reduce((s, p) => s + treeCpuSeconds(p.child.pid!), 0) - callersCpu10) / seconds10;
await sleep(2_000);
const endAt = performance.timeOrigin + performance.now() + 3_000;
const simultaneousTurns = await phase("10 ending at once", () =>
  Promise.all(placed.map(({ proc, call }) => proc.request<Turn>({ cmd: "askEndingAt", call, endAt }))),
);
const simultaneous = simultaneousTurns.map((t) => t.e2e);
/** Where a phase's time went, p50 (p90), from the end of speech at the caller. */
const split = (ts: Turn[]) => {
  const part = (xs: number[]) => `${pct(xs, 50).toFixed(0)} (${pct(xs, 90).toFixed(0)})`;
  return `turn ended, words in ${part(ts.map((t) => t.heard))}; first piece cut ${part(ts.map((t) => t.piece))}; first audio ${part(ts.map((t) => t.e2e))} ms`;
};
await Promise.all(procs.map((p) => p.close()));

const metrics = await (await fetch(`${base}/metrics`)).text();
const stageMean = (stage: string) => {
  const sum = Number(
    new RegExp(`somaagent_voice_stage_seconds_sum\\{stage="${stage}"\\} (\\S+)`).exec(metrics)?.[1],
  );
  const count = Number(
    new RegExp(`somaagent_voice_stage_seconds_count\\{stage="${stage}"\\} (\\S+)`).exec(metrics)?.[1],
  );
  return count ? `${((sum / count) * 1000).toFixed(0)} ms` : "n/a";
};

console.log(
  `voice latency, ${turns} turns + ${bargeIns} interruptions + ${parallel} parallel calls (${Math.ceil(parallel / perProcess)} caller processes), loopback, offline speech in its own process; load ${loadAtStart} → ${load()}`,
);
console.log(
  `baselines (same run): endpointing silence ${SILENCE_MS} ms; provider STT direct ${fmt(sttDirect)}; 10 at once ${fmt(sttTen)}; provider TTS first byte direct ${fmt(ttsDirect)}`,
);
console.log(`e2e, end of speech → first agent audio: ${fmt(e2e)}   target p50 ≤ 800, p90 ≤ 1000`);
console.log(
  `   of which the pipeline (e2e − silence − STT − TTS first byte, p50): ${(pct(e2e, 50) - SILENCE_MS - pct(sttDirect, 50) - pct(ttsDirect, 50)).toFixed(0)} ms`,
);
console.log(`barge-in, speech onset → agent silent: ${fmt(barge)}   target p50 ≤ 150, p90 ≤ 250`);
console.log(
  `   each: ${bargeRuns.map((b) => `${b.ms.toFixed(0)} (sent ${b.lateSend.toFixed(0)} late)`).join(", ")}; the caller sent the onset late by ${fmt(bargeLate)} (its 20 ms packet clock: 0–20 expected)`,
);
console.log(
  `${parallel} calls at once, 3 questions each, staggered: e2e ${fmt(staggered)}   target p50 ≤ 800, p90 ≤ 1000`,
);
console.log(
  `   gateway CPU per call ${(perCallCpu * 100).toFixed(1)} % of a core (one call alone: ${(oneCallCpu * 100).toFixed(1)} %)   target ≤ 10 %; meanwhile the provider used ${(providerCpu * 100).toFixed(0)} % and the callers ${(callersCpu * 100).toFixed(0)} % of a core`,
);
console.log(`${parallel} questions ending in the same instant (worst case): e2e ${fmt(simultaneous)}`);
console.log(
  `gateway stage means: stt ${stageMean("stt")}, llm_ttft ${stageMean("llm_ttft")}, first_sentence ${stageMean("first_sentence")}, tts_ttfb ${stageMean("tts_ttfb")}, e2e ${stageMean("e2e")}, barge_in ${stageMean("barge_in")}`,
);
console.log("from the end of speech, p50 (p90), as each caller saw the gateway's events:");
console.log(`   one call: ${split(oneCall)}`);
console.log(`   ${parallel} calls staggered: ${split(staggeredTurns)}`);
console.log(`   ${parallel} ending at once: ${split(simultaneousTurns)}`);
for (const l of loops) console.log(l);

await stopProcess(gateway);
await provider.close();
await db.$disconnect();
process.exit(0);
