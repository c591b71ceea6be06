// socket.io /chat and the turn lifecycle across gateway processes: events with sequence numbers,
// replay after a reconnect, payload validation, tenant isolation, cancellation that reaches the
// gateway running the turn, and recovery when that gateway dies mid-turn.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  client,
  collect,
  connectChat,
  emitAck,
  postMessageSse,
  readSse,
  seedUser,
  startChatStack,
  startGateway,
  type ChatStack,
  type TestUser,
} from "../helpers/chat";
import { settings, stopProcess, waitUntil } from "../helpers/services";

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

const turnStatus = async (turnId: string) =>
  (await stack.db.turn.findUnique({ where: { id: turnId }, select: { status: true } }))?.status;

describe("socket.io /chat", () => {
  it("joins after authorization, sends, and receives the turn's events in order", async () => {
    const api = client(stack.base, alice.token);
    const id = await api.newSession();
    const socket = await connectChat(stack.base, alice.token);
    const got = collect(socket);
    try {
      const joined = await emitAck<{ lastSeq: number }>(socket, "session.join", { sessionId: id });
      expect(joined).toEqual({ ok: true, data: { lastSeq: 0 } });
      const sent = await emitAck<{ turnId: string }>(socket, "message.send", {
        sessionId: id,
        content: "hi socket",
      });
      expect(sent.ok).toBe(true);
      const end = await got.waitFor((e) => e.type === "turn.finished", 15_000, "turn.finished");
      expect(end).toMatchObject({ turnId: sent.ok ? sent.data.turnId : "" });
      const seqs = got.events.map((e) => e.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      expect(got.events.filter((e) => e.type === "message.delta").length).toBeGreaterThan(1);
    } finally {
      socket.disconnect();
    }
  });

  it("answers a bad payload with an error to that client only; others keep streaming", async () => {
    const api = client(stack.base, alice.token);
    const id = await api.newSession();
    const watcher = await connectChat(stack.base, alice.token);
    const sender = await connectChat(stack.base, alice.token);
    const seen = collect(watcher);
    try {
      await emitAck(watcher, "session.join", { sessionId: id });
      const bad = await emitAck(sender, "message.send", { sessionId: "nope", content: "" });
      expect(bad).toMatchObject({ ok: false, error: { code: "invalid_request" } });
      expect(!bad.ok && bad.error.message).toMatch(/sessionId/);
      const errors: unknown[] = [];
      sender.on("error", (e) => errors.push(e));
      sender.emit("turn.cancel", { sessionId: 42 } as never);
      await waitUntil(async () => errors.length > 0, 5_000, "the error event");
      expect(errors[0]).toMatchObject({ code: "invalid_request", event: "turn.cancel" });
      expect(sender.connected).toBe(true);
      await emitAck(sender, "message.send", { sessionId: id, content: "still works" });
      await seen.waitFor((e) => e.type === "turn.finished", 15_000, "the watcher to see the turn");
    } finally {
      watcher.disconnect();
      sender.disconnect();
    }
  });

  it("refuses another tenant's session (not_found) and an unauthenticated connection", async () => {
    const id = await client(stack.base, alice.token).newSession();
    const intruder = await connectChat(stack.base, bob.token);
    try {
      expect(await emitAck(intruder, "session.join", { sessionId: id })).toMatchObject({
        ok: false,
        error: { code: "not_found" },
      });
      expect(await emitAck(intruder, "message.send", { sessionId: id, content: "hi" })).toMatchObject({
        ok: false,
        error: { code: "not_found" },
      });
    } finally {
      intruder.disconnect();
    }
    await expect(connectChat(stack.base, "soma_forged")).rejects.toThrow(/unauthorized/);
  });

  it("replays what a client missed while disconnected, from its last sequence number", async () => {
    const api = client(stack.base, alice.token);
    const id = await api.newSession();
    const first = await connectChat(stack.base, alice.token);
    const early = collect(first);
    await emitAck(first, "session.join", { sessionId: id });
    await emitAck(first, "message.send", { sessionId: id, content: "one" });
    await early.waitFor((e) => e.type === "turn.finished", 15_000, "the first turn");
    const lastSeen = early.events.at(-1)!.seq;
    first.disconnect();

    const accepted = await api.post(`/api/v1/sessions/${id}/messages`, { content: "while you were away" });
    await waitUntil(
      async () => (await turnStatus(accepted.json.turnId as string)) === "completed",
      15_000,
      "turn 2",
    );

    const again = await connectChat(stack.base, alice.token);
    const late = collect(again);
    try {
      await emitAck(again, "session.join", { sessionId: id, afterSeq: lastSeen });
      await late.waitFor((e) => e.type === "turn.finished", 10_000, "the missed events");
      expect(late.events[0]!.seq).toBe(lastSeen + 1);
      expect(late.events[0]).toMatchObject({ type: "turn.started", content: "while you were away" });
      const seqs = late.events.map((e) => e.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
    } finally {
      again.disconnect();
    }
  });

  it("the model sees the conversation once, from the cache or from Postgres; a running turn says where its events start", async () => {
    const api = client(stack.base, alice.token);
    const id = await api.newSession();
    const socket = await connectChat(stack.base, alice.token);
    const got = collect(socket);
    const redis = new Redis(settings().redis.url);
    // What the provider was sent for one message: the number of chat messages in its request.
    const sentFor = async (content: string) => {
      const before = stack.stub.requests.length;
      const sent = await emitAck<{ turnId: string }>(socket, "message.send", { sessionId: id, content });
      if (!sent.ok) throw new Error(`message.send: ${JSON.stringify(sent)}`);
      await got.waitFor(
        (e) => e.type === "turn.finished" && e.turnId === sent.data.turnId,
        15_000,
        `the turn of "${content}"`,
      );
      return stack.stub.requests.slice(before).map((r) => r.messages);
    };
    try {
      await emitAck(socket, "session.join", { sessionId: id });
      // A new session's first message has no history to read: not even a cache entry left behind
      // (its start says the session had no message before).
      await redis.set(`session:${id}:context`, JSON.stringify([{ role: "user", content: "stale" }]));
      // The system prompt, then each exchange so far and the new message, none twice.
      expect(await sentFor("one")).toEqual([2]);
      expect(await redis.exists(`session:${id}:context`)).toBe(1);
      expect(await sentFor("two")).toEqual([4]);
      await redis.del(`session:${id}:context`);
      expect(await sentFor("three")).toEqual([6]);
      expect(await sentFor("four")).toEqual([8]);
      // A damaged cache entry is rebuilt from Postgres too.
      await redis.set(`session:${id}:context`, "{not json");
      expect(await sentFor("five")).toEqual([10]);

      const sent = await emitAck<{ turnId: string }>(socket, "message.send", {
        sessionId: id,
        content: "a long one [[slow]]",
      });
      if (!sent.ok) throw new Error(`message.send: ${JSON.stringify(sent)}`);
      // As soon as the message is answered, a page loading the session knows where to replay from.
      const detail = (await api.get(`/api/v1/sessions/${id}`)).json as unknown as {
        turns: { id: string; status: string; startSeq: number | null }[];
      };
      const started = await got.waitFor(
        (e) => e.type === "turn.started" && e.turnId === sent.data.turnId,
        5_000,
        "turn.started",
      );
      expect(detail.turns.find((t) => t.id === sent.data.turnId)).toMatchObject({
        status: "running",
        startSeq: started.seq,
      });
      await emitAck(socket, "turn.cancel", { sessionId: id, turnId: sent.data.turnId });
      await got.waitFor((e) => e.type === "turn.cancelled", 15_000, "turn.cancelled");
    } finally {
      socket.disconnect();
      redis.disconnect();
    }
  });

  it("cancels from the socket: the stream stops and the turn is recorded as cancelled", async () => {
    const id = await client(stack.base, alice.token).newSession();
    const socket = await connectChat(stack.base, alice.token);
    const got = collect(socket);
    try {
      await emitAck(socket, "session.join", { sessionId: id });
      const sent = await emitAck<{ turnId: string }>(socket, "message.send", {
        sessionId: id,
        content: "[[slow]]",
      });
      await got.waitFor((e) => e.type === "message.delta", 10_000, "the first delta");
      const cancelled = await emitAck(socket, "turn.cancel", { sessionId: id });
      expect(cancelled).toMatchObject({ ok: true, data: { turnId: sent.ok ? sent.data.turnId : "" } });
      await got.waitFor((e) => e.type === "turn.cancelled", 10_000, "turn.cancelled");
      const deltas = got.events.filter((e) => e.type === "message.delta").length;
      await new Promise((r) => setTimeout(r, 500));
      expect(got.events.filter((e) => e.type === "message.delta").length).toBe(deltas);
    } finally {
      socket.disconnect();
    }
  });
});

describe("turns across gateway processes", () => {
  it("a cancel sent to one gateway stops the turn running on another, tool included", async () => {
    const second = await startGateway(stack.stub);
    try {
      const onSecond = client(second.base, alice.token);
      const id = await onSecond.newSession();
      const res = await postMessageSse(
        second.base,
        alice.token,
        id,
        '[[tool:code_execution {"runtime":"python","code":"import time; time.sleep(6); print(1)"}]]',
      );
      const stream = readSse(res);
      let turnId = "";
      await waitUntil(
        async () => {
          const call = await stack.db.toolCall.findFirst({
            where: { sessionId: id },
            select: { status: true, turnId: true },
          });
          turnId = call?.turnId ?? "";
          return call?.status === "running";
        },
        15_000,
        "the tool to run",
      );
      const cancel = await client(stack.base, alice.token).post(`/api/v1/sessions/${id}/cancel`);
      expect(cancel.status).toBe(202);
      const { events } = await stream;
      expect(events.at(-1)).toMatchObject({ type: "turn.cancelled", turnId });
      const tool = events.find((e) => e.type === "tool.finished");
      expect(tool).toMatchObject({ status: "killed" });
      expect(await turnStatus(turnId)).toBe("cancelled");
      // The executor killed the sandbox: the 6 s sleep never finished.
      await waitUntil(
        async () => (await stack.db.toolCall.findFirst({ where: { sessionId: id } }))?.status === "killed",
        4_000,
        "the executor to record the call as killed",
      );
      const call = await stack.db.toolCall.findFirst({ where: { sessionId: id } });
      expect(call?.error).toMatch(/cancelled/);
    } finally {
      await stopProcess(second.gateway);
    }
  });

  it("stops a turn at its deadline with a readable reason", async () => {
    const strict = await startGateway(stack.stub, { SOMA_AGENT_TURN_TIMEOUT_MS: "1500" });
    try {
      const api = client(strict.base, alice.token);
      const id = await api.newSession();
      const res = await postMessageSse(strict.base, alice.token, id, "[[slow]]");
      const { events } = await readSse(res);
      expect(events.at(-1)).toMatchObject({ type: "turn.failed", code: "deadline" });
      expect((events.at(-1) as { reason: string }).reason).toMatch(/deadline/);
      const turnId = (events[0] as { turnId: string }).turnId;
      expect(await turnStatus(turnId)).toBe("failed");
    } finally {
      await stopProcess(strict.gateway);
    }
  });

  it("a gateway killed mid-turn leaves the turn interrupted and visible; the session goes on", async () => {
    const doomed = await startGateway(stack.stub);
    const api = client(stack.base, alice.token);
    const id = await api.newSession();
    const accepted = await client(doomed.base, alice.token).post(`/api/v1/sessions/${id}/messages`, {
      content: "tell me a long story [[slow]]",
    });
    const turnId = accepted.json.turnId as string;
    await waitUntil(
      async () =>
        ((await stack.db.message.findFirst({ where: { turnId, role: "assistant" } }))?.content.length ?? 0) >
        0,
      15_000,
      "part of the answer to be stored",
    );
    doomed.gateway.kill("SIGKILL");
    const follow = readSse(
      await fetch(`${stack.base}/api/v1/sessions/${id}/events?after=1`, {
        headers: { authorization: `Bearer ${alice.token}` },
      }),
      (e) => e.type === "turn.interrupted",
      40_000,
    );
    // The surviving gateway's sweeper notices the lapsed lease.
    const { events } = await follow;
    expect(events.at(-1)).toMatchObject({ type: "turn.interrupted", turnId });
    const detail = (await api.get(`/api/v1/sessions/${id}`)).json as unknown as {
      turns: { id: string; status: string; error: string }[];
      messages: { role: string; content: string; complete: boolean }[];
    };
    expect(detail.turns[0]).toMatchObject({ status: "interrupted" });
    expect(detail.turns[0]!.error).toMatch(/gateway stopped/);
    const partial = detail.messages.find((m) => m.role === "assistant")!;
    expect(partial.complete).toBe(true);
    expect(partial.content).toMatch(/^word0 /);

    stack.stub.requests.length = 0;
    const next = await readSse(await postMessageSse(stack.base, alice.token, id, "are you back?"));
    expect(next.events.at(-1)!.type).toBe("turn.finished");
    // The context was rebuilt from Postgres: system, the interrupted exchange, the new message.
    expect(stack.stub.requests[0]!.messages).toBe(4);
  }, 90_000);

  it("a gateway stopped with SIGTERM records a turn still running at its drain bound as interrupted before exiting", async () => {
    // A running turn gets server.drainTimeoutMs to finish (tests/int/gateway-drain.int.test.ts).
    const leaving = await startGateway(stack.stub, { SOMA_SERVER_DRAIN_TIMEOUT_MS: "300" });
    const id = await client(stack.base, alice.token).newSession();
    const accepted = await client(leaving.base, alice.token).post(`/api/v1/sessions/${id}/messages`, {
      content: "[[slow]]",
    });
    const turnId = accepted.json.turnId as string;
    await waitUntil(
      async () => (await stack.db.message.count({ where: { turnId, role: "assistant" } })) > 0,
      15_000,
      "streaming",
    );
    await stopProcess(leaving.gateway);
    expect(leaving.gateway.exitCode).toBe(0);
    expect(await turnStatus(turnId)).toBe("interrupted");
  });
});
