// What the gateway adds to streaming: the time from the provider writing its first token to the
// client receiving it, over socket.io and over SSE, at 1, 50 and 200 concurrent sessions (p50/p99);
// and the gateway's memory with 1,000 connected idle sockets. Baseline, same run: the same stream
// read straight from the provider. A turn without a provider timestamp is counted missing, never a
// 0 ms sample; refusals are counted and named.
// The test provider runs in this process, so both timestamps come from one clock. Its tokens come
// 200 ms apart ([[delay:200]]), so a turn's start-up work (rows, history, the provider request) is
// done before its first token and the figure is what streaming itself costs.
// Needs the services (make dev-up or scripts/services/up.sh) and a production build (npx next build).
// Run: npx tsx bench/chat-latency.ts [rounds=5]
import fs from "node:fs";
import { randomUUID } from "node:crypto";
import OpenAI from "openai";
import { startStubProvider } from "../server/offline-provider/server";
import { createDb } from "../lib/server/db";
import { getConfig } from "../lib/config";
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
import { stopProcess } from "../tests/helpers/services";

const rounds = Number(process.argv[2] ?? 5);
const now = () => performance.timeOrigin + performance.now();
const firstToken = new Map<string, number>();
/** Messages the gateway refused (they would otherwise go unnoticed as missing samples). */
const refused: string[] = [];
/**
 * Counted turns whose first token reached the client with no provider timestamp for it: counted and
 * reported, never recorded as a sample (a 0 ms one would pull the percentiles down).
 */
let missing = 0;

/** The sample for a first token received at `t`, or undefined (counted missing) without a timestamp. */
function gatewayAdded(marker: string, t: number): number | undefined {
  const sent = firstToken.get(marker);
  firstToken.delete(marker);
  if (sent === undefined) missing++;
  return sent === undefined ? undefined : t - sent;
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

const stub = await startStubProvider({ onFirstToken: (msg) => firstToken.set(msg, now()) });
const { gateway, base } = await startGateway(stub, {
  LOG_LEVEL: "warn",
  SOMA_AGENT_MAX_STEPS: "2",
  SOMA_CONF_DIR: "bench/conf", // no rate limits or budgets in the way
});
const db = createDb(getConfig().settings.database.url);
const user = await seedUser(db);
const api = client(base, user.token);

async function socketRun(concurrency: number): Promise<number[]> {
  const sockets: ChatClientSocket[] = await Promise.all(
    Array.from({ length: concurrency }, () => connectChat(base, user.token)),
  );
  const sessions = await Promise.all(sockets.map(() => api.newSession()));
  const samples: number[] = [];
  try {
    await Promise.all(sockets.map((s, i) => emitAck(s, "session.join", { sessionId: sessions[i] })));
    for (let r = 0; r < rounds + 1; r++) {
      await Promise.all(
        sockets.map(
          (s, i) =>
            new Promise<void>((resolve) => {
              const marker = `bench ${randomUUID()} [[delay:200]]`;
              let got = false;
              const onEvent = (e: { type: string }) => {
                if (e.type === "message.delta" && !got) {
                  got = true;
                  const t = now();
                  // The first round warms up connections and caches; it is not counted.
                  const sample = r > 0 ? gatewayAdded(marker, t) : undefined;
                  if (sample !== undefined) samples.push(sample);
                }
                if (e.type === "turn.finished" || e.type === "turn.failed") {
                  s.off("event", onEvent);
                  resolve();
                }
              };
              s.on("event", onEvent);
              void emitAck(s, "message.send", { sessionId: sessions[i], content: marker }).then((reply) => {
                if (reply.ok) return;
                refused.push(reply.error.code);
                s.off("event", onEvent);
                resolve();
              });
            }),
        ),
      );
    }
  } finally {
    for (const s of sockets) s.disconnect();
  }
  return samples;
}

/** Baseline: the provider read directly (the openai client, streaming), no gateway in between. */
async function directRun(concurrency: number): Promise<number[]> {
  const direct = new OpenAI({ apiKey: "not-needed", baseURL: stub.url, maxRetries: 0 });
  const samples: number[] = [];
  for (let r = 0; r < rounds + 1; r++) {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        const marker = `bench ${randomUUID()} [[delay:200]]`;
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
        if (r === 0) return;
        if (!at) {
          missing++;
          return;
        }
        const sample = gatewayAdded(marker, at);
        if (sample !== undefined) samples.push(sample);
      }),
    );
  }
  return samples;
}

async function sseRun(concurrency: number): Promise<number[]> {
  const sessions = await Promise.all(Array.from({ length: concurrency }, () => api.newSession()));
  const samples: number[] = [];
  for (let r = 0; r < rounds + 1; r++) {
    await Promise.all(
      sessions.map(async (id) => {
        const marker = `bench ${randomUUID()} [[delay:200]]`;
        const res = await postMessageSse(base, user.token, id, marker);
        if (res.status !== 200) {
          refused.push(String(res.status));
          return;
        }
        let at = 0;
        await readSse(res, (e) => {
          if (e.type === "message.delta" && !at) at = now();
          return false;
        });
        if (r === 0) return;
        if (!at) {
          missing++; // the stream ended without a token
          return;
        }
        const sample = gatewayAdded(marker, at);
        if (sample !== undefined) samples.push(sample);
      }),
    );
  }
  return samples;
}

function report(label: string, samples: number[], gatewayCpu: number) {
  const s = [...samples].sort((a, b) => a - b);
  const errors = refused.splice(0);
  const lost = missing;
  missing = 0;
  console.log(
    `${label.padEnd(24)} p50 ${pct(s, 50).toFixed(2).padStart(7)} ms   p99 ${pct(s, 99).toFixed(2).padStart(7)} ms   (${s.length} samples, ${lost} missing, ${errors.length} refused${errors.length ? `: ${[...new Set(errors)].join(", ")}` : ""}, gateway CPU ${(gatewayCpu * 100).toFixed(0)}%)`,
  );
}

try {
  // Memory first, on a fresh gateway, so heap grown by the load below does not hide it.
  const before = rssMb(gateway.pid!);
  const idle: ChatClientSocket[] = [];
  for (let i = 0; i < 1000; i += 50)
    idle.push(...(await Promise.all(Array.from({ length: 50 }, () => connectChat(base, user.token)))));
  await new Promise((r) => setTimeout(r, 2000));
  const after = rssMb(gateway.pid!);
  console.log(
    `gateway memory: ${before.toFixed(0)} MB before, ${after.toFixed(0)} MB with ${idle.length} idle sockets (+${(((after - before) * 1024) / idle.length).toFixed(1)} KB per socket)`,
  );
  for (const s of idle) s.disconnect();

  console.log("gateway-added latency, provider's first token -> client's first token:");
  console.log("(baseline: the same read straight from the provider, same run)");
  const run = async (label: string, fn: () => Promise<number[]>) => {
    const cpu0 = cpuSeconds(gateway.pid!);
    const t0 = performance.now();
    const samples = await fn();
    const busy = (cpuSeconds(gateway.pid!) - cpu0) / ((performance.now() - t0) / 1000);
    report(label, samples, busy);
  };
  for (const c of [1, 50, 200]) {
    await run(`baseline (direct), ${c}`, () => directRun(c));
    await run(`socket.io, ${c} sessions`, () => socketRun(c));
    await run(`SSE, ${c} sessions`, () => sseRun(c));
  }

  const errors = gateway
    .output()
    .split("\n")
    .filter((l) => l.includes('"level":50'));
  if (errors.length)
    console.log(`gateway logged ${errors.length} errors; first: ${errors[0]!.slice(0, 600)}`);
} finally {
  await stopProcess(gateway);
  await stub.close();
  await db.$disconnect();
}
