// Voice latency on one clock: a WebRTC client in this process (werift, tests/helpers/voice-client.ts)
// speaks espeak-ng phrases with a known end of speech to a real gateway process, whose speech
// services are the offline provider (also in this process), on loopback.
//   e2e       end of the person's speech → first agent audio at the client (target p50 ≤ 800 ms at
//             silenceMs 500, p90 ≤ 1,000)
//   barge-in  onset of the person's speech over the agent → the agent's audio silent at the client
//             (target p50 ≤ 150 ms, p90 ≤ 250)
//   parallel  10 calls at once, 3 questions each, staggered as people talk: e2e and the gateway's CPU
//             per call (target ≤ 10 % of a core); then 10 questions ending in the same instant
// Beside each figure, its baseline from the same run: what the pieces cost called directly (the
// endpointing silence, the provider's transcription and first speech byte), so the rest is the pipeline.
// Needs the services (make dev-up or scripts/services/up.sh) and a production build (npx next build).
// Run: npx tsx bench/voice-latency.ts [turns=30] [bargeIns=10]
import fs from "node:fs";
import { parseWav, wavFromSamples } from "../lib/audio/wav";
import { getConfig } from "../lib/config";
import { startStubProvider } from "../server/offline-provider/server";
import { speak } from "../server/offline-provider/speech/espeak";
import { createDb } from "../lib/server/db";
import { client, seedUser, startGateway } from "../tests/helpers/chat";
import { stopProcess } from "../tests/helpers/services";
import { VoiceTestClient } from "../tests/helpers/voice-client";

const turns = Number(process.argv[2] ?? 30);
const bargeIns = Number(process.argv[3] ?? 10);
const SILENCE_MS = 500;
const LOUD = 500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const fmt = (xs: number[]) =>
  `p50 ${pct(xs, 50).toFixed(0)} ms, p90 ${pct(xs, 90).toFixed(0)} ms (n=${xs.length})`;
const cpuSeconds = (pid: number) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
};

/** A phrase as 24 kHz PCM, with where its speech starts and ends (ms from the first sample). */
async function phrase(text: string) {
  const pcm = parseWav(await speak(text, "alloy", 1, 24_000))!.samples;
  let first = 0;
  let last = pcm.length - 1;
  while (first < pcm.length && Math.abs(pcm[first]!) < LOUD) first++;
  while (last > 0 && Math.abs(pcm[last]!) < LOUD) last--;
  return { pcm, onsetMs: (first / 24_000) * 1000, trailMs: ((pcm.length - 1 - last) / 24_000) * 1000 };
}

const stub = await startStubProvider();
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
  env[`SOMA_SPEECH_${role}_BASE_URL`] = stub.url;
}
const { gateway, base } = await startGateway(stub, env);
// A failed run must not leave its gateway behind (it would hold the test database and Redis).
process.on("exit", () => gateway.kill("SIGTERM"));
const db = createDb(getConfig().settings.database.url);
// Two questions in turn: the test model echoes each one, and a question repeating the agent's last
// words within 5 s would (rightly) be dropped as the agent's own echo.
const questions = [await phrase("what is six times seven"), await phrase("hello how are you today")];
const question = questions[0]!;
const story = await phrase("tell me a long story about the sea");
const stop = await phrase("stop talking please");

// Baselines: the provider's pieces called directly, in this run.
const sttDirect: number[] = [];
const ttsDirect: number[] = [];
for (let i = 0; i < 10; i++) {
  const form = new FormData();
  form.set("file", new Blob([new Uint8Array(wavFromSamples(question.pcm, 24_000))]), "q.wav");
  form.set("model", "stub-stt");
  let t = performance.now();
  await (await fetch(`${stub.url}/audio/transcriptions`, { method: "POST", body: form })).json();
  sttDirect.push(performance.now() - t);
  t = performance.now();
  const res = await fetch(`${stub.url}/audio/speech`, {
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

// Each call alternates its own questions (a global turn would let a call repeat its last one).
const asked = new Map<VoiceTestClient, number>();
async function ask(call: VoiceTestClient): Promise<number> {
  const n = asked.get(call) ?? 0;
  asked.set(call, n + 1);
  const q = questions[n % questions.length]!;
  const before = call.states.length;
  const sentEnd = call.say(q.pcm);
  const speechEnd = sentEnd - q.trailMs;
  await call
    .waitFor(() => call.firstAudioAfter(sentEnd) !== undefined, 20_000, "the answer")
    .catch((err: unknown) => {
      console.error({
        states: call.states.slice(-5),
        captions: call.captions.slice(-3),
        problems: call.problems,
      });
      throw err;
    });
  const e2e = call.firstAudioAfter(sentEnd)!.at - speechEnd;
  await call.waitFor(
    () =>
      call.states.slice(before).some((s) => s.state === "speaking") &&
      call.states.at(-1)?.state === "listening",
    30_000,
    "listening again",
  );
  return e2e;
}

const user = await seedUser(db);
const api = client(base, user.token);
const cpuStart = cpuSeconds(gateway.pid!);
const wallStart = performance.now();
const call = new VoiceTestClient(base, user.token);
await call.start(await api.newSession());
const e2e: number[] = [];
for (let i = 0; i < turns; i++) e2e.push(await ask(call));
const oneCallCpu = (cpuSeconds(gateway.pid!) - cpuStart) / ((performance.now() - wallStart) / 1000);

const barge: number[] = [];
for (let i = 0; i < bargeIns; i++) {
  const sentEnd = call.say(story.pcm);
  await call.waitFor(() => call.firstAudioAfter(sentEnd) !== undefined, 20_000, "the story");
  await sleep(1_500);
  const stopEnd = call.say(stop.pcm);
  const onset = stopEnd - (stop.pcm.length / 24_000) * 1000 + stop.onsetMs;
  await call.waitFor(() => call.silenceAfter(onset) !== undefined, 5_000, "silence");
  barge.push(call.silenceAfter(onset)!.at - onset);
  await call.waitFor(
    () => call.states.at(-1)?.state === "listening",
    30_000,
    "listening after the interruption",
  );
  await sleep(300);
}
await call.hangup();
await call.close();

// Ten calls at once (ten users: one call per user), as ten people talk: each asks 3 questions, waits
// for the whole answer, pauses 0.5–1.5 s and asks again; the calls start 300 ms apart. Then the worst
// case: all ten finish a question in the same instant.
const users = await Promise.all(Array.from({ length: 10 }, () => seedUser(db)));
const calls = await Promise.all(
  users.map(async (u) => {
    const c = new VoiceTestClient(base, u.token);
    await c.start(await client(base, u.token).newSession());
    return c;
  }),
);
const cpu10 = cpuSeconds(gateway.pid!);
const wall10 = performance.now();
const staggered = (
  await Promise.all(
    calls.map(async (c, i) => {
      await sleep(i * 300);
      const mine: number[] = [];
      for (let q = 0; q < 3; q++) {
        mine.push(await ask(c));
        await sleep(500 + Math.random() * 1_000);
      }
      return mine;
    }),
  )
).flat();
const perCallCpu = (cpuSeconds(gateway.pid!) - cpu10) / ((performance.now() - wall10) / 1000) / calls.length;
await sleep(2_000);
const simultaneous = await Promise.all(calls.map((c) => ask(c)));
await Promise.all(calls.map(async (c) => (await c.hangup(), await c.close())));

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
  `voice latency, ${turns} turns + ${bargeIns} interruptions + 10 parallel calls, loopback, offline speech`,
);
console.log(
  `baselines (same run): endpointing silence ${SILENCE_MS} ms; provider STT direct ${fmt(sttDirect)}; provider TTS first byte direct ${fmt(ttsDirect)}`,
);
console.log(`e2e, end of speech → first agent audio: ${fmt(e2e)}   target p50 ≤ 800, p90 ≤ 1000`);
console.log(
  `   of which the pipeline (e2e − silence − STT − TTS first byte, p50): ${(pct(e2e, 50) - SILENCE_MS - pct(sttDirect, 50) - pct(ttsDirect, 50)).toFixed(0)} ms`,
);
console.log(`barge-in, speech onset → agent silent: ${fmt(barge)}   target p50 ≤ 150, p90 ≤ 250`);
console.log(
  `10 calls at once, 3 questions each, staggered: e2e ${fmt(staggered)}   target p50 ≤ 800, p90 ≤ 1000`,
);
console.log(
  `   gateway CPU per call ${(perCallCpu * 100).toFixed(1)} % of a core (one call alone: ${(oneCallCpu * 100).toFixed(1)} %)   target ≤ 10 %`,
);
console.log(`10 questions ending in the same instant (worst case): e2e ${fmt(simultaneous)}`);
console.log(
  `gateway stage means: stt ${stageMean("stt")}, llm_ttft ${stageMean("llm_ttft")}, tts_ttfb ${stageMean("tts_ttfb")}, e2e ${stageMean("e2e")}, barge_in ${stageMean("barge_in")}`,
);

await stopProcess(gateway);
await stub.close();
await db.$disconnect();
process.exit(0);
