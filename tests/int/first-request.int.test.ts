// A turn's first model request is sent while its rows are written and its start announced
// (lib/agent/turns.ts, run-turn.ts sendFirstRequest): the provider's time to answer overlaps ours.
// The test holds the turn's rows back (a lock on the turns table) and watches what the provider and
// the session's followers see meanwhile: the request arrives, nothing of the answer reaches anyone
// until the turn has started, then everything in order. A turn whose rows cannot be written gives
// its request up and leaves nothing behind.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@/lib/server/db";
import { startStubProvider, type StubServer } from "@/server/offline-provider/server";
import {
  client,
  collect,
  connectChat,
  emitAck,
  seedUser,
  startGateway,
  type ChatClientSocket,
  type GatewayProcess,
  type TestUser,
} from "../helpers/chat";
import { settings, stopProcess, waitUntil } from "../helpers/services";

let stub: StubServer;
let gateway: GatewayProcess;
let base: string;
let db: Db;
let user: TestUser;
let holder: pg.Client;
let holderPid: number;
/** The last user message of each chat request, as it arrived at the provider. */
const asked: string[] = [];

beforeAll(async () => {
  stub = await startStubProvider({ onChatRequest: (message) => asked.push(message) });
  ({ gateway, base } = await startGateway(stub));
  db = createDb(settings().database.url);
  user = await seedUser(db);
  holder = new pg.Client({ connectionString: settings().database.url });
  await holder.connect();
  holderPid = (await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
}, 120_000);

afterAll(async () => {
  await holder?.end();
  if (gateway) await stopProcess(gateway);
  await stub?.close();
  await db?.$disconnect();
});

/** The statements waiting for the test's lock (the gateway's turn rows). */
const waitingOnHolder = async () =>
  (
    await holder.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
      [holderPid],
    )
  ).rows.map((r) => r.pid);

/** A session with one finished turn (its history is cached), joined on a socket. */
async function sessionWithHistory(): Promise<{
  sessionId: string;
  socket: ChatClientSocket;
  got: ReturnType<typeof collect>;
}> {
  const sessionId = await client(base, user.token).newSession();
  const socket = await connectChat(base, user.token);
  const got = collect(socket);
  expect((await emitAck(socket, "session.join", { sessionId })).ok).toBe(true);
  const sent = await emitAck<{ turnId: string }>(socket, "message.send", {
    sessionId,
    content: "[[delay:1]] first",
  });
  if (!sent.ok) throw new Error(sent.error.message);
  await got.waitFor((e) => e.type === "turn.finished" && e.turnId === sent.data.turnId);
  return { sessionId, socket, got };
}

/**
 * Sends `content` while the test holds the turns table (the turn's rows wait), runs `during` once the
 * request is at the provider, lets go, and returns the message's answer.
 */
async function sendWhileRowsHeld(
  socket: ChatClientSocket,
  sessionId: string,
  content: string,
  during: () => Promise<void>,
) {
  await holder.query("BEGIN");
  let sending: ReturnType<typeof emitAck<{ turnId: string }>> | undefined;
  try {
    await holder.query("LOCK TABLE turns IN SHARE MODE");
    sending = emitAck<{ turnId: string }>(socket, "message.send", { sessionId, content });
    await waitUntil(async () => asked.includes(content), 10_000, "the request at the provider");
    await during();
  } finally {
    await holder.query("ROLLBACK");
  }
  return sending;
}

describe("a turn's first model request", () => {
  it("reaches the provider while the turn's rows are written; its answer follows the turn's start", async () => {
    const { sessionId, socket, got } = await sessionWithHistory();
    const before = got.events.length;
    const content = "[[delay:5]] second, while the rows wait";
    const sent = await sendWhileRowsHeld(socket, sessionId, content, async () => {
      // The rows are still not written (the statement waits for the test's lock) ...
      expect(await waitingOnHolder()).toHaveLength(1);
      expect(await db.message.count({ where: { sessionId, content } })).toBe(0);
      // ... and nothing of the turn, nor of the answer the provider is streaming, has reached anyone.
      await new Promise((r) => setTimeout(r, 300));
      expect(got.events.slice(before)).toEqual([]);
    });
    if (!sent.ok) throw new Error(sent.error.message);
    const { turnId } = sent.data;
    await got.waitFor((e) => e.type === "turn.finished" && e.turnId === turnId);
    const events = got.events.slice(before);
    expect(events[0]).toMatchObject({ type: "turn.started", turnId, content });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => events[0]!.seq + i));
    const text = events.flatMap((e) => (e.type === "message.delta" ? [e.delta] : [])).join("");
    expect(text.length).toBeGreaterThan(0);
    const stored = await db.message.findFirst({ where: { turnId, role: "assistant" } });
    expect(stored).toMatchObject({ content: text, complete: true });
    // The provider was asked once for this message: the early request was the one read, not sent again.
    expect(asked.filter((m) => m === content)).toHaveLength(1);
    socket.disconnect();
  });

  it("is given up when the turn's rows cannot be written, and the session goes on", async () => {
    const { sessionId, socket, got } = await sessionWithHistory();
    const before = got.events.length;
    const content = "[[delay:200]] doomed, its rows fail";
    const sent = await sendWhileRowsHeld(socket, sessionId, content, async () => {
      // The gateway's connection waiting on the lock is ended: its turn's rows fail.
      const [waiting] = await waitingOnHolder();
      expect(waiting).toBeDefined();
      await holder.query("SELECT pg_terminate_backend($1)", [waiting]);
    });
    expect(sent.ok).toBe(false);
    // Nothing of it was kept or told, even as its answer would have gone on streaming.
    await new Promise((r) => setTimeout(r, 600));
    expect(got.events.slice(before)).toEqual([]);
    expect(await db.message.count({ where: { sessionId, content } })).toBe(0);
    expect(await db.turn.count({ where: { sessionId, status: "running" } })).toBe(0);
    // The lease was given back: the next message is a turn of its own, answered.
    const next = await emitAck<{ turnId: string }>(socket, "message.send", {
      sessionId,
      content: "[[delay:1]] and now?",
    });
    if (!next.ok) throw new Error(next.error.message);
    await got.waitFor((e) => e.type === "turn.finished" && e.turnId === next.data.turnId);
    expect(gateway.output()).not.toMatch(/unhandled/i);
    socket.disconnect();
  });
});
