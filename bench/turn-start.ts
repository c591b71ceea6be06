// Turn start: the time from a message sent to the gateway to its provider request arriving at the
// provider (authorization, rate limit, policy, budget, the turn's rows, history: everything a turn does
// before the model is asked), over socket.io and over HTTP, at 1 and 200 concurrent sessions (p50/p99).
// Baseline, in the same run and at the same concurrency: the same kind of request (the openai client,
// streaming) sent straight to the provider, so the difference is what the gateway adds.
// The test provider runs in a process of its own (bench/lib/chat-provider-process.ts) and stamps each
// chat request as it arrives with the clock the clients use (performance.timeOrigin + now(), checked
// each run), so it and the clients (this process) do not delay each other; each line prints both
// processes' event-loop delay. A message whose request never arrived is counted as missing, not
// recorded as a sample. The gateway's own breakdown (somaagent_turn_start_seconds by stage, read from
// its /metrics before and after each run) is printed as the mean per stage, and its CPU per turn (the
// gateway process's user + system time over the counted rounds, divided by the messages sent in them).
// Under each line, what a person waits for: the message sent to the answer's first token received by
// the client (by default the provider answers at once, [[delay:1]]), since a turn's provider request is sent
// while its rows are written (lib/agent/turns.ts) and reaches the provider before the turn has started.
// A CPU profile of the gateway: BENCH_GATEWAY_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=DIR" (written
// when the gateway exits); each run prints its counted window in ms after the gateway started, for
// `npx tsx scripts/flamegraph.ts <profile> <out.svg> --from <ms> --to <ms>`.
// Needs the services (make dev-up or scripts/services/up.sh) and a production build (npx next build).
// Run: npx tsx bench/turn-start.ts [rounds=5] [levels=1,200,200@2000] [tokenDelayMs=1]
// (`tokenDelayMs`: the provider waits that long before each token, the first included: a provider
// that takes time to answer, as real ones do; the turn-start figure does not depend on it.)
// A level is a number of sessions sending one message each per round, all in the same instant, or
// with `@ms` each at a random moment within that many milliseconds (200@2000: 200 people typing, 100
// messages a second); a level runs at least enough rounds for 100 samples (100 at 1 session,
// `rounds` at 200).
import fs from "node:fs";
import { randomUUID } from "node:crypto";
import OpenAI from "openai";
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
import { reportLoggedErrors } from "./lib/processes";
import { startProviderProcess } from "./lib/chat-provider";
import { loopDelay } from "./lib/child-rpc";

const rounds = Number(process.argv[2] ?? 5);
interface Level {
  sessions: number;
  /** Each message sent at a random moment within this many ms of the round's start (0: all at once). */
  spreadMs: number;
}
const levels: Level[] = (process.argv[3] ?? "1,200,200@2000").split(",").map((l) => {
  const m = /^(\d+)(?:@(\d+))?$/.exec(l);
  if (!m || Number(m[1]) < 1)
    throw new Error(`a level is SESSIONS or SESSIONS@MS (200, 200@2000), not "${l}"`);
  return { sessions: Number(m[1]), spreadMs: Number(m[2] ?? 0) };
});
const levelName = (l: Level) =>
  `${l.sessions} session${l.sessions === 1 ? "" : "s"}${l.spreadMs ? `, over ${l.spreadMs / 1000} s` : ""}`;
/** Rounds counted at a level (after one warm-up round): at least 100 samples. */
const roundsAt = (l: Level) => Math.max(rounds, Math.ceil(100 / l.sessions));
/** A message's moment in its round. */
const spread = (l: Level) =>
  l.spreadMs ? new Promise((r) => setTimeout(r, Math.random() * l.spreadMs)) : undefined;
const now = () => performance.timeOrigin + performance.now();
// By default [[delay:1]]: the answer streams at once, so a round is over quickly.
const tokenDelayMs = Number(process.argv[4] ?? 1);
const marker = () => `turn-start ${randomUUID()} [[delay:${tokenDelayMs}]]`;

interface Run {
  samples: number[];
  /** Message sent -> its answer's first token received by the client (what a person waits for). */
  firstToken: number[];
  /** Messages accepted whose provider request never arrived. */
  missing: number;
  /** Messages the gateway refused, by error code or HTTP status. */
  refused: string[];
}
const newRun = (): Run => ({ samples: [], firstToken: [], missing: 0, refused: [] });

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A sample once its request's arrival stamp has come from the provider's process (it may trail the turn's end). */
async function sample(run: Run, m: string, sentAt: number, count: boolean, firstTokenAt?: number) {
  const at = await provider.take("arrived", m, 500);
  if (!count) return;
  if (firstTokenAt !== undefined) run.firstToken.push(firstTokenAt - sentAt);
  if (at === undefined) run.missing++;
  else run.samples.push(at - sentAt);
}

const provider = await startProviderProcess();
const benchLag = loopDelay();
const gatewayNodeOptions = process.env.BENCH_GATEWAY_NODE_OPTIONS;
const spawnedAt = performance.now();
const { gateway, base } = await startGateway(provider, {
  LOG_LEVEL: "warn",
  SOMA_AGENT_MAX_STEPS: "2",
  SOMA_CONF_DIR: "bench/conf", // no rate limits or budgets in the way
  ...(gatewayNodeOptions ? { NODE_OPTIONS: gatewayNodeOptions } : {}),
});
const db = createDb(getConfig().settings.database.url);
const user = await seedUser(db);
const api = client(base, user.token);
const direct = new OpenAI({ apiKey: "not-needed", baseURL: provider.url, maxRetries: 0 });

/** Baseline: the provider asked directly, as the gateway asks it (streaming, the openai client). */
async function directRun(level: Level): Promise<Run> {
  const run = newRun();
  for (let r = 0; r < roundsAt(level) + 1; r++) {
    await Promise.all(
      Array.from({ length: level.sessions }, async () => {
        await spread(level);
        const m = marker();
        const sentAt = now();
        let firstAt: number | undefined;
        try {
          const stream = await direct.chat.completions.create({
            model: "stub-chat",
            messages: [
              { role: "system", content: "You are SomaAgent." },
              { role: "user", content: m },
            ],
            stream: true,
            stream_options: { include_usage: true },
          });
          for await (const chunk of stream) if (chunk.choices[0]?.delta.content) firstAt ??= now();
        } catch (err) {
          run.refused.push((err as Error).message);
        }
        await sample(run, m, sentAt, r > 0, firstAt);
      }),
    );
  }
  return run;
}

async function socketRun(level: Level, warmed: () => Promise<void>): Promise<Run> {
  const sockets: ChatClientSocket[] = await Promise.all(
    Array.from({ length: level.sessions }, () => connectChat(base, user.token)),
  );
  const sessions = await Promise.all(sockets.map(() => api.newSession()));
  const run = newRun();
  try {
    await Promise.all(sockets.map((s, i) => emitAck(s, "session.join", { sessionId: sessions[i] })));
    for (let r = 0; r < roundsAt(level) + 1; r++) {
      await Promise.all(
        sockets.map(async (s, i) => {
          await spread(level);
          const m = marker();
          let firstAt: number | undefined;
          const ended = new Promise<void>((resolve) => {
            const onEvent = (e: { type: string }) => {
              if (e.type === "message.delta") firstAt ??= now();
              if (!["turn.finished", "turn.failed", "turn.cancelled"].includes(e.type)) return;
              s.off("event", onEvent);
              resolve();
            };
            s.on("event", onEvent);
          });
          const sentAt = now();
          const reply = await emitAck(s, "message.send", { sessionId: sessions[i], content: m });
          // The first round warms up connections and caches; it is not counted.
          if (!reply.ok) {
            if (r > 0) run.refused.push(reply.error.code);
            return;
          }
          await ended;
          await sample(run, m, sentAt, r > 0, firstAt);
        }),
      );
      if (r === 0) await warmed();
    }
  } finally {
    for (const s of sockets) s.disconnect();
  }
  return run;
}

async function httpRun(level: Level, warmed: () => Promise<void>): Promise<Run> {
  const sessions = await Promise.all(Array.from({ length: level.sessions }, () => api.newSession()));
  const run = newRun();
  for (let r = 0; r < roundsAt(level) + 1; r++) {
    await Promise.all(
      sessions.map(async (id) => {
        await spread(level);
        const m = marker();
        const sentAt = now();
        const res = await postMessageSse(base, user.token, id, m);
        if (res.status !== 200) {
          if (r > 0) run.refused.push(String(res.status));
          await res.body?.cancel();
          return;
        }
        let firstAt: number | undefined;
        await readSse(res, (e) => {
          if (e.type === "message.delta") firstAt ??= now();
          return ["turn.finished", "turn.failed", "turn.cancelled"].includes(e.type);
        });
        await sample(run, m, sentAt, r > 0, firstAt);
      }),
    );
    if (r === 0) await warmed();
  }
  return run;
}

/** The gateway's turn-start histogram: sum (s) and count by stage. */
async function stages(): Promise<Map<string, { sum: number; count: number }>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const out = new Map<string, { sum: number; count: number }>();
  for (const m of text.matchAll(/^somaagent_turn_start_seconds_(sum|count)\{stage="(\w+)"\} (\S+)$/gm)) {
    const e = out.get(m[2]!) ?? { sum: 0, count: 0 };
    e[m[1] as "sum" | "count"] = Number(m[3]);
    out.set(m[2]!, e);
  }
  return out;
}

function line(label: string, run: Run, extra = ""): string {
  const s = [...run.samples].sort((a, b) => a - b);
  const refused = run.refused.length
    ? `, ${run.refused.length} refused: ${[...new Set(run.refused)].join(", ").slice(0, 200)}`
    : "";
  const f = [...run.firstToken].sort((a, b) => a - b);
  return (
    `${label.padEnd(36)} p50 ${pct(s, 50).toFixed(2).padStart(7)} ms   p99 ${pct(s, 99).toFixed(2).padStart(7)} ms   (${s.length} samples, ${run.missing} missing${refused}${extra})` +
    `\n${"  first token at the client".padEnd(36)} p50 ${pct(f, 50).toFixed(2).padStart(7)} ms   p99 ${pct(f, 99).toFixed(2).padStart(7)} ms   (${f.length} samples)`
  );
}

/** Both processes' event-loop delay since `lagReset`, for the end of a line. */
async function lags(): Promise<string> {
  const f = (l: { p99: number; max: number }) => `${l.p99.toFixed(0)}/${l.max.toFixed(0)}`;
  return `, event-loop delay p99/max ms: bench ${f(benchLag.read())}, provider ${f(await provider.lag())}`;
}
async function lagReset() {
  benchLag.reset();
  await provider.lagReset();
}

try {
  console.log(
    "turn start: message sent -> provider request arrived (baseline: the provider asked directly); then message sent -> the answer's first token at the client",
  );
  console.log(
    `(the provider in its own process, its clock within ${provider.clock.low.toFixed(3)}..${provider.clock.high.toFixed(3)} ms of this one's)`,
  );
  for (const c of levels) {
    await lagReset();
    const direct = await directRun(c);
    console.log(line(`baseline (direct), ${levelName(c)}`, direct, await lags()));
    for (const [label, fn] of [
      ["socket.io", socketRun],
      ["HTTP", httpRun],
    ] as const) {
      let before = new Map<string, { sum: number; count: number }>();
      let cpu0 = 0;
      let t0 = 0;
      // Stages and CPU from the end of the warm-up round, as the samples.
      const run = await fn(c, async () => {
        before = await stages();
        cpu0 = cpuSeconds(gateway.pid!);
        t0 = performance.now();
        await lagReset();
      });
      const cpu = cpuSeconds(gateway.pid!) - cpu0;
      const t1 = performance.now();
      const busy = cpu / ((t1 - t0) / 1000);
      const after = await stages();
      const turns = c.sessions * roundsAt(c);
      console.log(
        line(
          `${label}, ${levelName(c)}`,
          run,
          `, gateway CPU ${(busy * 100).toFixed(0)}%, ${((cpu * 1000) / turns).toFixed(2)} CPU ms per turn${await lags()}`,
        ),
      );
      if (gatewayNodeOptions)
        console.log(
          `  counted window: ${(t0 - spawnedAt).toFixed(0)}-${(t1 - spawnedAt).toFixed(0)} ms after the gateway started`,
        );
      const means = [...after].flatMap(([stage, a]) => {
        const b = before.get(stage) ?? { sum: 0, count: 0 };
        const n = a.count - b.count;
        return n > 0 ? [`${stage} ${(((a.sum - b.sum) / n) * 1000).toFixed(2)}`] : [];
      });
      console.log(`  gateway stages, mean ms: ${means.join(" · ")}`);
    }
  }
  reportLoggedErrors("gateway", gateway.output());
} finally {
  if (gatewayNodeOptions && gateway.exitCode === null) {
    // Its profile is written as it exits, after its drain: more time than stopProcess gives.
    const exited = new Promise((r) => gateway.once("exit", r));
    gateway.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 60_000))]);
  }
  await stopProcess(gateway);
  await provider.close();
  await db.$disconnect();
}
