// The realtime relay, each side in its own process on loopback: a real gateway (speech.mode=realtime)
// and an executor on BullMQ; the offline provider's Realtime API (the stub, its werift peers and
// sidebands: bench/lib/realtime-stub-process.ts); the WebRTC clients, the browsers' media
// (bench/lib/realtime-media-process.ts); and here, the pages' /voice sockets. Every time is a
// `stamp()` (performance.timeOrigin + now(), one clock for the processes of one machine, checked
// each run): the stub stamps each server event as it sends it, a page as the gateway's relay of it
// arrives.
//   relay      offers relayed by the gateway (voice.offer → answer: the provider's POST, the sideband
//              opened) vs the same kind of offer posted straight to the stub: added p50 ≤ 20 ms, p99 ≤ 40
//   connect    offer sent → ICE/DTLS connected at the client: p50 ≤ 1 s
//   tool       the provider's function call → its output back at the provider, for memory_search (the
//              cheapest tool a realtime session offers: one indexed query) through the executor on
//              BullMQ: p50 ≤ 50 ms
//   fan-out    N calls on one gateway (default 50), each sideband carrying 10 events a second: how late
//              each reaches its page after the stub sent it (target: none more than 50 ms)
// Beside each figure, its baseline from the same run: the stub's answer posted directly, its connect
// directly, the same tool straight over the bus, one call alone; and every process's event-loop delay.
// Needs the services (make dev-up or scripts/services/up.sh), the speech venv and a production build.
// Run: npx tsx bench/realtime-relay.ts [offers=200] [toolCalls=12] [calls=50] [fanOutSeconds=20]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseWav } from "../lib/audio/wav";
import { getConfig } from "../lib/config";
import { speak } from "../server/offline-provider/speech/espeak";
import { createDb } from "../lib/server/db";
import { client, seedUser, startGateway } from "../tests/helpers/chat";
import { gatewaySide, startExecutor, stopProcess } from "../tests/helpers/executor";
import { VoiceTestClient } from "../tests/helpers/voice-client";
import { Signalling, until } from "./realtime-relay-peer";
import { realtimeStubEnv } from "../tests/helpers/realtime-env";
import { clockCheck, forkChild, loopDelay, stamp } from "./lib/child-rpc";

const offers = Number(process.argv[2] ?? 200);
const toolCalls = Number(process.argv[3] ?? 12);
const fanOut = Number(process.argv[4] ?? 50);
const fanOutSeconds = Number(process.argv[5] ?? 20);
const KEY = `sk-bench-${crypto.randomUUID()}`;
const TOOL_PHRASE = "hello how are you today";
const here = path.dirname(fileURLToPath(import.meta.url));
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
const loadAtStart = load();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const ms = (v: number) => `${v.toFixed(1)} ms`;
const fmt = (xs: number[], hi = 99) => `p50 ${ms(pct(xs, 50))}, p${hi} ${ms(pct(xs, hi))} (n=${xs.length})`;
const verdict = (ok: boolean) => (ok ? "MET" : "NOT MET");
const cpuSeconds = (pid: number) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
};

// ---- the stack ------------------------------------------------------------------------------------

interface SentEvent {
  callId: string;
  type: string;
  at: number;
  event: Record<string, unknown>;
}
/** Server events as the stub sent them, while recording (the tool turns). */
const sent: SentEvent[] = [];
/** Provider call ids in the order their first sideband attached (the gateway's, during voice.offer). */
const attached: string[] = [];

const stubProcess = await forkChild<{ url: string }>(path.join(here, "lib/realtime-stub-process.ts"), [
  KEY,
  TOOL_PHRASE,
  '[[tool:memory_search {"query": "bench relay"}]]',
]);
stubProcess.onPush((m) => {
  const e = m.event as SentEvent;
  if (e.type === "session.created") attached.push(e.callId);
  else sent.push(e);
});
const stub = { url: stubProcess.ready.url };
const media = await forkChild<boolean>(path.join(here, "lib/realtime-media-process.ts"));
const clocks = { stub: await clockCheck(stubProcess), media: await clockCheck(media) };
const env: Record<string, string> = {
  ...realtimeStubEnv(stub.url, KEY),
  LOG_LEVEL: "error", // the fan-out's provider errors would otherwise be a log line each
  SOMA_CONF_DIR: "bench/conf", // no rate limits or budgets in the way
};
const [executor, { gateway, base }] = await Promise.all([
  startExecutor("bullmq", { ...env, LOG_LEVEL: "info", SOMA_EXECUTOR_CONCURRENCY: "8" }),
  startGateway(stub, env),
]);
// A failed run must not leave its processes behind (they would hold the test database and Redis).
process.on("exit", () => {
  gateway.kill("SIGTERM");
  executor.kill("SIGTERM");
  stubProcess.child.kill("SIGTERM");
  media.child.kill("SIGTERM");
});
const db = createDb(getConfig().settings.database.url);
const control = stub.url.replace(/\/v1$/, "");

/** The provider call of the sideband that attached after `before` sidebands had (the stub's report). */
async function nextAttached(before: number): Promise<string> {
  await until(() => attached.length > before, 5_000, "the stub to report the sideband");
  return attached[before]!;
}

// ---- 1 and 2: offers relayed vs posted straight to the stub, and offer → connected ---------------

const DIRECT_SESSION = { type: "realtime", model: "stub-realtime" };

/** A fresh client peer's complete offer, made in the media process. */
const offering = () => media.ask<{ id: number; sdp: string }>({ type: "offer" });
/** Applies the answer there: when the client's ICE and DTLS were connected. */
const connectedAt = (id: number, sdp: string) => media.ask<number>({ type: "connect", id, sdp });

async function direct(): Promise<{ answer: number; connect: number }> {
  const { id, sdp } = await offering();
  const form = new FormData();
  form.set("sdp", sdp);
  form.set("session", JSON.stringify(DIRECT_SESSION));
  const t0 = stamp();
  const res = await fetch(`${stub.url}/realtime/calls`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}` },
    body: form,
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`the stub answered ${res.status}: ${text}`);
  const answer = stamp() - t0;
  const connect = (await connectedAt(id, text)) - t0;
  await fetch(`${control}${res.headers.get("location")}/hangup`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}` },
  });
  await media.ask({ type: "close", id });
  return { answer, connect };
}

async function relayed(sig: Signalling, sessionId: string): Promise<{ answer: number; connect: number }> {
  const callId = await sig.start(sessionId);
  const { id, sdp } = await offering();
  const t0 = stamp();
  const r = await sig.call<{ sdp: string }>("voice.offer", { callId, sdp });
  if (!r.ok) throw new Error(`voice.offer: ${r.error.message}`);
  const answer = stamp() - t0;
  const connect = (await connectedAt(id, r.data.sdp)) - t0;
  await sig.hangup(callId);
  await media.ask({ type: "close", id });
  return { answer, connect };
}

const relayUser = await seedUser(db);
const relaySession = await client(base, relayUser.token).newSession();
const sig = new Signalling(base, relayUser.token);
await sig.ready();
const directAnswer: number[] = [];
const relayAnswer: number[] = [];
const added: number[] = [];
const directConnect: number[] = [];
const relayConnect: number[] = [];
const relayStart = performance.now();
for (let i = -10; i < offers; i++) {
  // Alternating which goes first, so neither always finds the other's call still closing.
  const [d, r] =
    i % 2 === 0
      ? [await direct(), await relayed(sig, relaySession)]
      : await (async () => {
          const rr = await relayed(sig, relaySession);
          return [await direct(), rr] as const;
        })();
  if (i < 0) continue; // warm-up: the gateway's first calls load what later ones reuse
  directAnswer.push(d.answer);
  relayAnswer.push(r.answer);
  added.push(r.answer - d.answer);
  directConnect.push(d.connect);
  relayConnect.push(r.connect);
}
const relaySeconds = (performance.now() - relayStart) / 1000;

// ---- 3: function call → output, a no-op-like tool over BullMQ -------------------------------------

const toolUser = await seedUser(db);
const toolSession = await client(base, toolUser.token).newSession();
const question = parseWav(await speak(TOOL_PHRASE, "alloy", 1, 24_000))!.samples;
const voice = new VoiceTestClient(base, toolUser.token);
const pageCaptions: { role: string; partial: boolean; at: number }[] = [];
voice.socket.on("voice.caption", (e) =>
  pageCaptions.push({ role: e.role, partial: e.partial === true, at: stamp() }),
);
await stubProcess.ask({ type: "record", on: true });
const attachedBefore = attached.length;
await voice.start(toolSession, { mode: "realtime" });
const toolCallId = await nextAttached(attachedBefore);
const toolRoundTrip: number[] = [];
/** The gateway's first tool call starts its tool runtime (bus connections, the results consumer). */
let coldToolCall = NaN;
for (let i = -1; i < toolCalls; i++) {
  const from = sent.length;
  const mine = () => sent.slice(from).filter((e) => e.callId === toolCallId);
  voice.say(question);
  await until(
    () => mine().some((e) => e.type === "output_audio_buffer.stopped"),
    40_000,
    "the answer after the tool",
  );
  const asked = mine().find((e) => e.type === "response.function_call_arguments.done");
  const output = mine().find(
    (e) =>
      e.type === "conversation.item.added" &&
      (e.event.item as { type?: string }).type === "function_call_output",
  );
  if (!asked || !output)
    throw new Error(
      `turn ${i}: no function call and output (${mine()
        .map((e) => e.type)
        .join(", ")})`,
    );
  if (i < 0) coldToolCall = output.at - asked.at;
  else toolRoundTrip.push(output.at - asked.at);
  await voice.waitFor(() => voice.states.at(-1)?.state === "listening", 10_000, "listening again");
  await sleep(500);
}
// Captions of those turns: the n-th transcript delta the stub sent is the n-th caption of that side.
const ofCall = sent.filter((e) => e.callId === toolCallId);
const captionLate: number[] = [];
for (const [type, role, partial] of [
  ["conversation.item.input_audio_transcription.delta", "user", true],
  ["response.output_audio_transcript.delta", "agent", false],
] as const) {
  const left = ofCall.filter((e) => e.type === type);
  const arrived = pageCaptions.filter((c) => c.role === role && c.partial === partial);
  for (let k = 0; k < Math.min(left.length, arrived.length); k++)
    captionLate.push(arrived[k]!.at - left[k]!.at);
}
await stubProcess.ask({ type: "record", on: false });
await voice.hangup();
await voice.close();

// The same tool, and the no-op `response`, straight over the bus from this process (no realtime).
const side = await gatewaySide("bullmq");
const sideSession = await side.newSession();
const busMemory: number[] = [];
const busResponse: number[] = [];
for (let i = -5; i < 30; i++) {
  let t = performance.now();
  await side.call("memory_search", { query: "bench relay" }, { sessionId: sideSession });
  if (i >= 0) busMemory.push(performance.now() - t);
  t = performance.now();
  await side.call("response", { text: "ping" }, { sessionId: sideSession });
  if (i >= 0) busResponse.push(performance.now() - t);
}
await side.close();

// ---- 4: N calls on one gateway, their sidebands busy ----------------------------------------------

interface Held {
  sig: Signalling;
  callId: string;
  providerCallId: string;
  mediaId: number;
}
const held: Held[] = [];
let refused: string | undefined;
for (let i = 0; i < fanOut && !refused; i++) {
  try {
    const u = await seedUser(db);
    const s = new Signalling(base, u.token);
    await s.ready();
    const callId = await s.start(await client(base, u.token).newSession());
    const { id, sdp } = await offering();
    const before = attached.length;
    const r = await s.call<{ sdp: string }>("voice.offer", { callId, sdp });
    if (!r.ok) throw new Error(`voice.offer: ${r.error.message}`);
    await connectedAt(id, r.data.sdp);
    held.push({ sig: s, callId, providerCallId: await nextAttached(before), mediaId: id });
  } catch (err) {
    refused = `call ${i + 1}: ${(err as Error).message}`;
  }
}

/**
 * The stub's own sideband to each call sends `perSecond` unknown client events a second: the stub
 * answers each with an `error` event to every sideband of the call, the gateway's included, which
 * the gateway relays to the page as voice.error (as it relays captions and states). Each is timed
 * from the stub's send to its page.
 */
async function burst(calls: Held[], seconds: number, perSecond: number, tag: number) {
  const n = Math.round(seconds * perSecond);
  await stubProcess.ask({
    type: "inject",
    calls: calls.map((h) => h.providerCallId),
    seconds,
    perSecond,
    tag,
  });
  await sleep(2_000); // the last ones on their way
  const sentAt = new Map(await stubProcess.ask<[string, number][]>({ type: "errors", tag }));
  const late: number[] = [];
  let lost = 0;
  for (const [i, h] of calls.entries()) {
    const arrived = new Map<string, number>();
    for (const p of h.sig.problems) {
      const token = /'(bench\.\d+\.\d+\.\d+)'/.exec(p.message)?.[1];
      if (token) arrived.set(token, p.at);
    }
    for (let k = 0; k < n; k++) {
      const token = `bench.${tag}.${i}.${k}`;
      const left = sentAt.get(token);
      const at = arrived.get(token);
      if (left === undefined || at === undefined) lost++;
      else late.push(at - left);
    }
  }
  return { late, lost };
}

const alone = await burst(held.slice(0, 1), 10, 10, 1);
// Whose event loop was late: the gateway's (prom-client resets its lag figures at each scrape), the
// pages' (this process), the provider's and the clients' media.
const lagOf = (text: string, stat: string) =>
  Number(new RegExp(`^somaagent_nodejs_eventloop_lag_${stat}_seconds (\\S+)`, "m").exec(text)?.[1]) * 1000;
await fetch(`${base}/metrics`);
const benchLag = loopDelay();
benchLag.reset();
await Promise.all([stubProcess.ask({ type: "lag-reset" }), media.ask({ type: "lag-reset" })]);
const pids = {
  gateway: gateway.pid!,
  stub: stubProcess.child.pid!,
  media: media.child.pid!,
  pages: process.pid,
};
const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
const wall0 = performance.now();
const loadBeforeFanOut = load();
const busy = await burst(held, fanOutSeconds, 10, 2);
const wall = (performance.now() - wall0) / 1000;
const cpuShare = Object.fromEntries(
  Object.entries(pids).map(([k, pid]) => [k, (cpuSeconds(pid) - cpu0[k]!) / wall]),
) as Record<keyof typeof pids, number>;
const lags = {
  pages: benchLag.read(),
  stub: await stubProcess.ask<{ p50: number; p99: number; max: number }>({ type: "lag" }),
  media: await media.ask<{ p50: number; p99: number; max: number }>({ type: "lag" }),
};
const afterBurst = await (await fetch(`${base}/metrics`)).text();
for (const h of held) {
  await h.sig.hangup(h.callId).catch(() => undefined); // a call already gone has nothing to hang up
  h.sig.close();
  await media.ask({ type: "close", id: h.mediaId }).catch(() => undefined); // closing anyway
}

const metrics = await (await fetch(`${base}/metrics`)).text();
const mean = (name: string, labels = "") => {
  const sel = labels ? `\\{${labels}\\}` : "";
  const sum = Number(new RegExp(`${name}_sum${sel} (\\S+)`).exec(metrics)?.[1]);
  const count = Number(new RegExp(`${name}_count${sel} (\\S+)`).exec(metrics)?.[1]);
  return count ? `${((sum / count) * 1000).toFixed(1)} ms (n=${count})` : "n/a";
};

// ---- the figures ----------------------------------------------------------------------------------

const max = (xs: number[]) => (xs.length ? Math.max(...xs) : NaN);
const lagLine = (l: { p50: number; p99: number; max: number }) => `p99 ${ms(l.p99)}, max ${ms(l.max)}`;
const bound = (c: { low: number; high: number }) => `${c.low.toFixed(3)}…+${c.high.toFixed(3)} ms`;
console.log(
  `realtime relay on loopback, processes apart: gateway, BullMQ executor, stub provider, WebRTC clients, pages (this one); ${os.cpus().length} cores, load ${loadAtStart} at the start, ${loadBeforeFanOut} before the fan-out, ${load()} at the end`,
);
console.log(
  `   one clock: the stub's and the clients' stamps are within ${bound(clocks.stub)} and ${bound(clocks.media)} of this process's (IPC round trips)`,
);
console.log(
  `1. ${offers} offers, ${relaySeconds.toFixed(0)} s: straight to the stub ${fmt(directAnswer)}; relayed ${fmt(relayAnswer)}`,
);
console.log(
  `   added by the relay (each offer: relayed − direct): ${fmt(added)}   target p50 ≤ 20, p99 ≤ 40: ${verdict(pct(added, 50) <= 20 && pct(added, 99) <= 40)}`,
);
console.log(
  `   gateway's own figures: relay overhead mean ${mean("somaagent_realtime_relay_overhead_seconds")}, offer mean ${mean("somaagent_realtime_offer_seconds")}`,
);
console.log(
  `2. offer → connected at the client: relayed ${fmt(relayConnect, 90)}; straight to the stub ${fmt(directConnect, 90)}   target p50 ≤ 1000: ${verdict(pct(relayConnect, 50) <= 1000)}`,
);
console.log(
  `3. function call → output at the provider (memory_search, BullMQ): ${fmt(toolRoundTrip, 90)}   target p50 ≤ 50: ${verdict(pct(toolRoundTrip, 50) <= 50)}`,
);
console.log(
  `   baselines, straight over the bus from this process: memory_search ${fmt(busMemory, 90)}; response (no-op) ${fmt(busResponse, 90)}`,
);
console.log(
  `   the gateway's first tool call (its tool runtime starting, not counted above) ${ms(coldToolCall)}; gateway's tool_output stage mean ${mean("somaagent_voice_stage_seconds", 'stage="tool_output"')}`,
);
console.log(`   captions of those turns, stub sent → page: ${fmt(captionLate)}, max ${ms(max(captionLate))}`);
console.log(
  `4. ${held.length} calls held${refused ? ` (stopped at ${refused})` : ""}, 10 events/s each for ${fanOutSeconds} s: lateness ${fmt(busy.late)}, max ${ms(max(busy.late))}, lost ${busy.lost}   target max ≤ 50: ${verdict(busy.lost === 0 && max(busy.late) <= 50 && held.length >= fanOut)}`,
);
console.log(
  `   baseline, one call alone: ${fmt(alone.late)}, max ${ms(max(alone.late))}, lost ${alone.lost}`,
);
const share = (k: keyof typeof cpuShare) => `${(cpuShare[k] * 100).toFixed(0)} %`;
console.log(
  `   CPU under the fan-out (% of a core): gateway ${share("gateway")}, stub ${share("stub")}, clients' media ${share("media")}, pages ${share("pages")}`,
);
console.log(
  `   event-loop delay during the fan-out: gateway p99 ${ms(lagOf(afterBurst, "p99"))}, max ${ms(lagOf(afterBurst, "max"))} (10 ms timer); pages ${lagLine(lags.pages)}; stub ${lagLine(lags.stub)}; clients' media ${lagLine(lags.media)} (1 ms timer)`,
);

if (process.env.BENCH_DEBUG)
  console.log({
    toolRoundTrip: toolRoundTrip.map(Math.round),
    added: added.map(Math.round),
  });
await Promise.all([stopProcess(gateway), stopProcess(executor), stubProcess.stop(), media.stop()]);
await db.$disconnect();
process.exit(0);
