// A message sent again by the same client name (its acknowledgement was lost) starts one turn, on
// whichever gateway the repeat reaches; another user cannot reuse the name; without a name every
// send is a turn of its own, as before.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  client,
  collect,
  connectChat,
  emitAck,
  seedUser,
  startChatStack,
  startGateway,
  type ChatStack,
  type TestUser,
} from "../helpers/chat";
import { stopProcess } from "../helpers/services";

let stack: ChatStack;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  stack = await startChatStack();
  alice = await seedUser(stack.db);
  bob = await seedUser(stack.db);
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

type Started = { messageId: string; turnId: string };

describe("message.send with a clientMessageId", () => {
  it("answers a repeat, here or on another gateway, with the turn the first send started", async () => {
    const other = await startGateway(stack.stub);
    const sessionId = await client(stack.base, alice.token).newSession();
    const a = await connectChat(stack.base, alice.token);
    const b = await connectChat(other.base, alice.token);
    try {
      const seen = collect(a);
      await emitAck(a, "session.join", { sessionId });
      const clientMessageId = randomUUID();
      const payload = { sessionId, content: "[[delay:50]] said once, sent three times", clientMessageId };
      // The repeats come while the first turn still runs (a turn is running: no lease conflict).
      const first = await emitAck<Started>(a, "message.send", payload);
      const [again, elsewhere] = await Promise.all([
        emitAck<Started>(a, "message.send", payload),
        emitAck<Started>(b, "message.send", payload),
      ]);
      expect(first.ok && again.ok && elsewhere.ok).toBe(true);
      if (!first.ok || !again.ok || !elsewhere.ok) return;
      expect(again.data).toEqual(first.data);
      expect(elsewhere.data).toEqual(first.data);
      await seen.waitFor((e) => e.type === "turn.finished", 30_000, "the turn to finish");
      expect(await stack.db.turn.count({ where: { sessionId } })).toBe(1);
      expect(await stack.db.message.count({ where: { sessionId, role: "user" } })).toBe(1);
      expect(seen.events.filter((e) => e.type === "turn.started")).toHaveLength(1);

      // After the turn, the same name still names that turn; a new name is a new turn.
      const late = await emitAck<Started>(a, "message.send", payload);
      expect(late).toMatchObject({ ok: true, data: first.data });
      const next = await emitAck<Started>(a, "message.send", {
        sessionId,
        content: "a new message",
        clientMessageId: randomUUID(),
      });
      expect(next.ok && next.data.turnId !== first.data.turnId).toBe(true);
      await seen.waitFor(
        (e) => e.type === "turn.finished" && next.ok && e.turnId === next.data.turnId,
        30_000,
        "the second turn to finish",
      );
      expect(await stack.db.turn.count({ where: { sessionId } })).toBe(2);
    } finally {
      a.disconnect();
      b.disconnect();
      await stopProcess(other.gateway);
    }
  });

  it("does not let another user's send claim or read a name in use", async () => {
    const aliceSession = await client(stack.base, alice.token).newSession();
    const bobSession = await client(stack.base, bob.token).newSession();
    const a = await connectChat(stack.base, alice.token);
    const b = await connectChat(stack.base, bob.token);
    try {
      const clientMessageId = randomUUID();
      const mine = await emitAck<Started>(a, "message.send", {
        sessionId: aliceSession,
        content: "mine",
        clientMessageId,
      });
      expect(mine.ok).toBe(true);
      // Bob cannot write Alice's session at all (the name is not even looked at).
      const intrude = await emitAck(b, "message.send", {
        sessionId: aliceSession,
        content: "x",
        clientMessageId,
      });
      expect(intrude).toMatchObject({ ok: false });
      // The same name in Bob's own session is a different message: names are per session.
      const his = await emitAck<Started>(b, "message.send", {
        sessionId: bobSession,
        content: "his",
        clientMessageId,
      });
      expect(his.ok && mine.ok && his.data.turnId !== mine.data.turnId).toBe(true);
      // A malformed name is a 400-like refusal naming the field.
      const bad = await emitAck(a, "message.send", {
        sessionId: aliceSession,
        content: "x",
        clientMessageId: "nope",
      });
      expect(bad).toMatchObject({ ok: false, error: { code: "invalid_request" } });
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });
});
