// A tool's output goes back to the model as soon as it is known, while its tool message is still
// being written (lib/agent/run-turn.ts, ToolOutput): a realtime provider gets the function call's
// output, and a chat turn's next model request goes out, before the row is in Postgres. The rows
// keep the turn's order, and a tool message that cannot be written fails the turn (logged, never
// lost in silence). A trigger on `messages`, for one session of the test at a time, holds the tool
// message's insert on an advisory lock this test holds (nothing timed), or refuses it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { parseWav } from "@/lib/audio/wav";
import { speak } from "@/server/offline-provider/speech/espeak";
import { sayStandsFor } from "@/server/offline-provider/script";
import { startStubProvider, type StubServer } from "@/server/offline-provider/server";
import { client, seedUser, type GatewayProcess } from "../helpers/chat";
import type { ExecutorProcess } from "../helpers/executor";
import { settings, stopProcess, waitUntil } from "../helpers/services";
import { VoiceTestClient } from "../helpers/voice-client";
import { startRealtimeStack } from "../helpers/realtime-stack";
import { createDb, type Db } from "@/lib/server/db";

const KEY = `sk-test-${crypto.randomUUID()}`;
const PHRASE = "hello how are you today";
const MEMORY_SEARCH = '[[tool:memory_search {"query": "tool output record"}]]';
/** The advisory lock the trigger waits on (this file's own number). */
const LOCK = 7_012_003;
const FN = "test_tool_message_fault";

let stub: StubServer;
let gateway: GatewayProcess;
let executor: ExecutorProcess;
let base: string;
let db: Db;
let locker: pg.Client;
let restorePhrase: () => void;
/** Server events the stub sent, and the chat requests it received (with what they carried). */
const realtimeEvents: { callId: string; event: Record<string, unknown> }[] = [];
const chatRequests: string[] = [];

/** The trigger, for one session: its tool messages wait for LOCK ("hold") or are refused ("fail"). */
async function fault(sessionId: string, kind: "hold" | "fail"): Promise<void> {
  const action =
    kind === "hold"
      ? `PERFORM pg_advisory_xact_lock(${LOCK});`
      : `RAISE EXCEPTION 'tool message refused by the test';`;
  await locker.query(`
    CREATE OR REPLACE FUNCTION ${FN}() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF NEW.role = 'tool' AND NEW.session_id = '${sessionId}'::uuid THEN ${action} END IF;
      RETURN NEW;
    END $fn$`);
}

const toolMessages = async (sessionId: string) => db.message.count({ where: { sessionId, role: "tool" } });
const roles = async (sessionId: string) =>
  (await db.message.findMany({ where: { sessionId }, orderBy: { position: "asc" } })).map((m) => m.role);
const turnEnded = async (sessionId: string) => {
  await waitUntil(
    async () => (await db.turn.findFirst({ where: { sessionId } }))?.status !== "running",
    30_000,
    "the turn to end",
  );
  return db.turn.findFirstOrThrow({ where: { sessionId } });
};

beforeAll(async () => {
  db = createDb(settings().database.url);
  locker = new pg.Client({ connectionString: settings().database.url });
  await locker.connect();
  await locker.query(`
    CREATE OR REPLACE FUNCTION ${FN}() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN RETURN NEW; END $fn$`);
  await locker.query(`DROP TRIGGER IF EXISTS ${FN} ON messages`);
  await locker.query(`CREATE TRIGGER ${FN} BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION ${FN}()`);
  restorePhrase = sayStandsFor(PHRASE, MEMORY_SEARCH);
  stub = await startStubProvider({
    apiKey: KEY,
    webrtc: { host: "127.0.0.1" },
    onRealtimeEvent: (callId, event) => realtimeEvents.push({ callId, event }),
    onChatRequest: (last) => chatRequests.push(last),
  });
  ({ executor, gateway, base } = await startRealtimeStack(stub, KEY));
}, 120_000);

afterAll(async () => {
  await Promise.all([stopProcess(gateway), stopProcess(executor)]);
  await stub.close();
  restorePhrase();
  await locker.query(`DROP TRIGGER IF EXISTS ${FN} ON messages`);
  await locker.query(`DROP FUNCTION IF EXISTS ${FN}()`);
  await locker.end();
  await db.$disconnect();
});

/** A realtime call in a new session that says PHRASE (a memory_search call). */
async function realtimeToolTurn(): Promise<{ sessionId: string; call: VoiceTestClient; said: () => void }> {
  const me = await seedUser(db);
  const sessionId = await client(base, me.token).newSession();
  const call = new VoiceTestClient(base, me.token);
  await call.start(sessionId, { mode: "realtime" });
  const question = parseWav(await speak(PHRASE, "alloy", 1, 24_000))!.samples;
  return { sessionId, call, said: () => call.say(question) };
}

const outputSent = (from: number) =>
  realtimeEvents
    .slice(from)
    .some(
      ({ event }) =>
        event.type === "conversation.item.added" &&
        (event.item as { type?: string }).type === "function_call_output",
    );

describe("a tool's output before its message is written", () => {
  it("realtime: the provider has the output while the tool message waits; the rows keep their order", async () => {
    const { sessionId, call, said } = await realtimeToolTurn();
    await fault(sessionId, "hold");
    await locker.query("SELECT pg_advisory_lock($1)", [LOCK]);
    try {
      const from = realtimeEvents.length;
      said();
      await waitUntil(async () => outputSent(from), 30_000, "the function call's output at the provider");
      // The insert is waiting for our lock: the output went out without it.
      expect(await toolMessages(sessionId)).toBe(0);
      expect((await db.turn.findFirstOrThrow({ where: { sessionId } })).status).toBe("running");
    } finally {
      await locker.query("SELECT pg_advisory_unlock($1)", [LOCK]);
    }
    await call.waitFor(() => call.states.at(-1)?.state === "listening", 30_000, "listening again");
    await call.hangup();
    await call.close();
    expect((await turnEnded(sessionId)).status).toBe("completed");
    // The answer after the tool streamed while the tool message waited: it is still after it.
    expect(await roles(sessionId)).toEqual(["user", "assistant", "tool", "assistant"]);
  });

  it("realtime: a tool message that cannot be written fails the turn and is logged (the answer still comes)", async () => {
    const { sessionId, call, said } = await realtimeToolTurn();
    await fault(sessionId, "fail");
    const from = realtimeEvents.length;
    said();
    await waitUntil(async () => outputSent(from), 30_000, "the function call's output at the provider");
    const turn = await turnEnded(sessionId);
    expect(turn.status).toBe("failed");
    expect(turn.error).toMatch(/could not be saved/);
    expect(await toolMessages(sessionId)).toBe(0);
    await waitUntil(
      async () => gateway.output().includes("realtime function call not recorded"),
      10_000,
      "the gateway's log line",
    );
    // The gateway goes on (no unhandled rejection took it down): the call still answers.
    expect(gateway.exitCode).toBeNull();
    await call.hangup();
    await call.close();
  });

  it("chat: the next model request goes out while the tool message waits; the rows keep their order", async () => {
    const me = await seedUser(db);
    const api = client(base, me.token);
    const sessionId = await api.newSession();
    await fault(sessionId, "hold");
    await locker.query("SELECT pg_advisory_lock($1)", [LOCK]);
    try {
      const from = chatRequests.length;
      const sent = await api.post(`/api/v1/sessions/${sessionId}/messages`, { content: MEMORY_SEARCH });
      expect(sent.status).toBe(202);
      // The second request of the turn carries the tool's result back to the model.
      const asked = () => chatRequests.slice(from).filter((m) => m === MEMORY_SEARCH).length;
      await waitUntil(async () => asked() >= 2, 30_000, "the model asked again");
      expect(await toolMessages(sessionId)).toBe(0);
    } finally {
      await locker.query("SELECT pg_advisory_unlock($1)", [LOCK]);
    }
    expect((await turnEnded(sessionId)).status).toBe("completed");
    expect(await roles(sessionId)).toEqual(["user", "assistant", "tool", "assistant"]);
  });

  it("chat: a tool message that cannot be written fails the turn with a readable reason", async () => {
    const me = await seedUser(db);
    const api = client(base, me.token);
    const sessionId = await api.newSession();
    await fault(sessionId, "fail");
    const sent = await api.post(`/api/v1/sessions/${sessionId}/messages`, { content: MEMORY_SEARCH });
    expect(sent.status).toBe(202);
    const turn = await turnEnded(sessionId);
    expect(turn.status).toBe("failed");
    expect(turn.error).toMatch(/could not be saved/);
    // The database's own words stay in the log, not in what the user is shown.
    expect(turn.error).not.toMatch(/refused by the test/);
    expect(gateway.output()).toContain("tool message not recorded");
  });
});
