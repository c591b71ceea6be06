// A gateway taking SIGTERM mid-turn, behind a load balancer (a TCP proxy here: each new connection
// to the first gateway that accepts it): it refuses new connections and turns, tells its sockets to
// reconnect (they land on the other gateway and resume from their last event, none missed or
// repeated), lets the running turn finish, then exits 0. A turn longer than server.drainTimeoutMs
// is stopped at the bound and recorded interrupted, and the gateway still exits 0.
import { io } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconnectOnDrain } from "@/lib/client/reconnect-on-drain";
import type { SessionEvent } from "@/lib/realtime/events";
import { startStubProvider, type StubServer } from "@/server/offline-provider/server";
import { createDb, type Db } from "@/lib/server/db";
import {
  client,
  connectChat,
  emitAck,
  postMessageSse,
  readSse,
  seedUser,
  startGateway,
  type ChatClientSocket,
  type GatewayProcess,
  type TestUser,
} from "../helpers/chat";
import { startExecutor, type ExecutorProcess } from "../helpers/executor";
import { VoiceTestClient, voiceEnv } from "../helpers/voice-client";
import { settings, stopProcess, waitUntil } from "../helpers/services";
import { loadBalancer } from "../helpers/load-balancer";

let db: Db;
let stub: StubServer;
let executor: ExecutorProcess;
let alice: TestUser;

beforeAll(async () => {
  db = createDb(settings().database.url);
  stub = await startStubProvider();
  executor = await startExecutor("bullmq");
  alice = await seedUser(db);
}, 120_000);

afterAll(async () => {
  await stopProcess(executor);
  await stub.close();
  await db.$disconnect();
});

const exitOf = (gateway: GatewayProcess) =>
  new Promise<number | null>((resolve) => {
    if (gateway.exitCode !== null) resolve(gateway.exitCode);
    else gateway.once("exit", (code) => resolve(code));
  });

describe("a gateway draining on SIGTERM", () => {
  it("finishes the running turn while its sockets move to another gateway and resume, then exits 0", async () => {
    const a = await startGateway(stub, { SOMA_SERVER_DRAIN_TIMEOUT_MS: "60000", ...voiceEnv(stub.url) });
    const b = await startGateway(stub);
    const lb = await loadBalancer([a.port, b.port]);
    // A page's chat socket through the load balancer, handling the drain as the browser does.
    // Connected once its handlers are on (autoConnect off), as the session exists by then.
    const page = io(`${lb.base}/chat`, {
      auth: { token: alice.token },
      transports: ["websocket"],
      autoConnect: false,
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
    }) as ChatClientSocket;
    reconnectOnDrain(page);
    // A client that ignores the drain, on the draining gateway itself.
    let stubborn: ChatClientSocket | undefined;
    let caller: VoiceTestClient | undefined;
    try {
      const sessionId = await client(lb.base, alice.token).newSession();
      const seen: SessionEvent[] = [];
      let lastSeq = 0;
      let joins = 0;
      let drained = 0;
      page.on("event", (e) => {
        seen.push(e);
        lastSeq = e.seq;
      });
      page.on("server.draining", () => drained++);
      // As lib/client/chat-store.ts: (re)join from the last sequence number seen on every connect.
      page.on("connect", () => {
        void emitAck(page, "session.join", { sessionId, afterSeq: lastSeq }).then((r) => {
          if (r.ok) joins++;
        });
      });
      page.connect();
      await waitUntil(async () => joins === 1, 10_000, "the page to join");
      stubborn = await connectChat(a.base, alice.token);
      // A voice call on A (its media would run there).
      caller = new VoiceTestClient(a.base, alice.token);
      const call = await caller.call<{ callId: string }>("voice.start", {
        sessionId: await client(a.base, alice.token).newSession(),
      });
      expect(call.ok).toBe(true);

      // The turn runs on gateway A (its SSE request is in flight there when the signal comes).
      const turn = await postMessageSse(
        a.base,
        alice.token,
        sessionId,
        "[[delay:250]] a turn that is still streaming when its gateway is asked to stop, word by word",
      );
      expect(turn.status).toBe(200);
      const turnEnd = readSse(turn, (e) => e.type === "turn.finished" || e.type === "turn.interrupted");
      await waitUntil(async () => seen.some((e) => e.type === "message.delta"), 10_000, "the first delta");
      const exited = exitOf(a.gateway);
      a.gateway.kill("SIGTERM");

      // Told to reconnect; back through the load balancer on gateway B, joined again.
      await waitUntil(
        async () => drained === 1 && joins === 2 && page.connected,
        15_000,
        "the page to rejoin",
      );
      // The voice call ended, saying why, rather than going on while the turn drains.
      await waitUntil(async () => caller!.ended !== undefined, 5_000, "the call to end");
      expect(caller.ended?.reason).toBe("server_shutdown");
      expect(caller.ended?.message).toMatch(/restarting/);
      // It moved because it was told to, while the turn still ran (not when A closed its sockets at the end).
      const turnRow = await db.turn.findFirst({ where: { sessionId }, select: { id: true, status: true } });
      expect(turnRow?.status).toBe("running");
      // New connections to A are refused; the socket still on A cannot start a turn.
      await waitUntil(
        async () =>
          fetch(`${a.base}/healthz`).then(
            () => false,
            () => true,
          ),
        10_000,
        "A to refuse new connections",
      );
      const refused = await emitAck(stubborn, "message.send", { sessionId, content: "one more" });
      expect(refused).toMatchObject({ ok: false, error: { code: "draining" } });

      // The turn completes on A: its SSE stream and the page (now on B) both see the end.
      const { events } = await turnEnd;
      expect(events.at(-1)?.type).toBe("turn.finished");
      await waitUntil(
        async () => seen.some((e) => e.type === "turn.finished"),
        15_000,
        "the page to see the end",
      );
      // Resumed from the last event: every sequence number once, in order.
      const seqs = seen.map((e) => e.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      const text = seen
        .filter((e): e is Extract<SessionEvent, { type: "message.delta" }> => e.type === "message.delta")
        .map((e) => e.delta)
        .join("");
      expect(text).toContain("word by word");
      expect(events.at(-1)).toMatchObject({ turnId: turnRow!.id });
      expect(
        (await db.turn.findUnique({ where: { id: turnRow!.id }, select: { status: true } }))?.status,
      ).toBe("completed");

      expect(await exited).toBe(0);
      const drainedLine = a.gateway
        .output()
        .split("\n")
        .find((l) => l.includes('"msg":"turns drained"'));
      expect(JSON.parse(drainedLine ?? "{}")).toMatchObject({ finished: 1, stopped: 0 });
      expect(a.gateway.output()).toContain('"msg":"stopped"');

      // The page goes on, on B.
      const next = await emitAck(page, "message.send", { sessionId, content: "after the restart" });
      expect(next.ok).toBe(true);
      await waitUntil(
        async () => seen.filter((e) => e.type === "turn.finished").length === 2,
        15_000,
        "the next turn on B",
      );
    } finally {
      page.disconnect();
      stubborn?.disconnect();
      caller?.socket.disconnect();
      await lb.close();
      await stopProcess(a.gateway);
      await stopProcess(b.gateway);
    }
  });

  it("stops a turn still running at server.drainTimeoutMs, records it interrupted, and exits 0", async () => {
    const c = await startGateway(stub, { SOMA_SERVER_DRAIN_TIMEOUT_MS: "500" });
    try {
      const sessionId = await client(c.base, alice.token).newSession();
      const turn = await postMessageSse(c.base, alice.token, sessionId, "[[slow]] a long answer");
      expect(turn.status).toBe(200);
      const ended = readSse(turn, (e) => e.type === "turn.interrupted" || e.type === "turn.finished");
      let turnId = "";
      await waitUntil(
        async () => {
          const t = await db.turn.findFirst({ where: { sessionId }, select: { id: true } });
          turnId = t?.id ?? "";
          return Boolean(t);
        },
        10_000,
        "the turn to start",
      );
      const exited = exitOf(c.gateway);
      c.gateway.kill("SIGTERM");
      expect(await exited).toBe(0);
      const { events } = await ended;
      expect(events.at(-1)).toMatchObject({ type: "turn.interrupted", turnId });
      expect((await db.turn.findUnique({ where: { id: turnId }, select: { status: true } }))?.status).toBe(
        "interrupted",
      );
      const line = c.gateway
        .output()
        .split("\n")
        .find((l) => l.includes('"msg":"turns drained"'));
      expect(JSON.parse(line ?? "{}")).toMatchObject({ finished: 0, stopped: 1 });
    } finally {
      await stopProcess(c.gateway);
    }
  });
});
