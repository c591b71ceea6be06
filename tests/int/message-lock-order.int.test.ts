// The statements that write several streaming messages at once, the message flusher's (their text,
// once a second), a turn's end (marks them complete) and the messages completed together (their final
// text), lock the rows in id order, so they cannot deadlock on each other. Each is started while the test holds the lower id's row: it must
// then wait holding nothing, so the higher id's row is still free (NOWAIT). The higher id is
// inserted first, so locking in insertion (or scan) order would take it first.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@/lib/server/db";
import { completeAssistantMessage, finishTurnRows } from "@/lib/agent/turn-rows";
import { messageFlusher } from "@/lib/agent/message-flusher";
import { seedUser, type TestUser } from "../helpers/chat";
import { settings, waitUntil } from "../helpers/services";

let db: Db;
let user: TestUser;
let holder: pg.Client;
let prober: pg.Client;
let holderPid: number;

/** A running turn with two streaming messages, the higher id written first. */
async function streamingTurn(): Promise<{ sessionId: string; turnId: string; low: string; high: string }> {
  const session = await db.session.create({
    data: { tenantId: user.tenantId, ownerId: user.userId, title: "lock order" },
  });
  const turn = await db.turn.create({ data: { sessionId: session.id, userId: user.userId } });
  const tail = randomUUID().slice(8);
  const [low, high] = [`00000000${tail}`, `ffffffff${tail}`];
  for (const id of [high, low])
    await db.message.create({
      data: { id, sessionId: session.id, turnId: turn.id, role: "assistant", content: "", complete: false },
    });
  return { sessionId: session.id, turnId: turn.id, low, high };
}

/** Runs `write` while the test holds `low`'s row; checks `high`'s row is free while it waits. */
async function whileLowIsHeld(low: string, high: string, write: () => Promise<unknown>): Promise<void> {
  await holder.query("BEGIN");
  await holder.query("SELECT id FROM messages WHERE id = $1 FOR UPDATE", [low]);
  const written = write();
  try {
    await waitUntil(
      async () =>
        (
          await prober.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
            [holderPid],
          )
        ).rows[0]!.n > 0,
      10_000,
      "the statement to wait for the held row",
    );
    await prober.query("BEGIN");
    try {
      await prober.query("SELECT id FROM messages WHERE id = $1 FOR UPDATE NOWAIT", [high]);
    } finally {
      await prober.query("ROLLBACK");
    }
  } finally {
    await holder.query("ROLLBACK");
    await written;
  }
}

beforeAll(async () => {
  db = createDb(settings().database.url);
  user = await seedUser(db);
  holder = new pg.Client({ connectionString: settings().database.url });
  prober = new pg.Client({ connectionString: settings().database.url });
  await Promise.all([holder.connect(), prober.connect()]);
  holderPid = (await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
});
afterAll(async () => {
  await Promise.all([holder?.end(), prober?.end()]);
  await db?.$disconnect();
});

describe("streaming messages are locked in id order", () => {
  it("by a turn's end", async () => {
    const t = await streamingTurn();
    await whileLowIsHeld(t.low, t.high, () =>
      finishTurnRows(db, {
        turnId: t.turnId,
        sessionId: t.sessionId,
        tenantId: user.tenantId,
        userId: user.userId,
        status: "completed",
        error: null,
        model: "stub-chat",
        steps: 1,
        usage: { promptTokens: 1, completionTokens: 1 },
        costUsd: 0,
      }),
    );
    const rows = await db.message.findMany({ where: { turnId: t.turnId } });
    expect(rows.map((m) => m.complete)).toEqual([true, true]);
  });

  it("by the message flusher", async () => {
    const t = await streamingTurn();
    const flusher = messageFlusher(db);
    for (const id of [t.high, t.low])
      flusher.offer({ id, sessionId: t.sessionId, turnId: t.turnId, content: `text of ${id}` });
    await whileLowIsHeld(t.low, t.high, () => flusher.flush());
    const rows = await db.message.findMany({ where: { turnId: t.turnId } });
    expect(rows.map((m) => m.content).sort()).toEqual([`text of ${t.low}`, `text of ${t.high}`]);
  });

  it("by messages completed at the same moment", async () => {
    const t = await streamingTurn();
    const other = await streamingTurn();
    const complete = (turn: typeof t, id: string) =>
      completeAssistantMessage(db, {
        id,
        sessionId: turn.sessionId,
        turnId: turn.turnId,
        content: `final ${id}`,
        toolCalls: null,
      });
    await whileLowIsHeld(t.low, t.high, () =>
      // Two go out alone (the statements allowed in flight at once); the next two, high first,
      // wait for them and go out together, as one statement.
      Promise.all([
        complete(other, other.low),
        complete(other, other.high),
        complete(t, t.high),
        complete(t, t.low),
      ]),
    );
    const rows = await db.message.findMany({ where: { turnId: t.turnId } });
    expect(rows.map((m) => [m.content, m.complete]).sort()).toEqual([
      [`final ${t.low}`, true],
      [`final ${t.high}`, true],
    ]);
  });
});
