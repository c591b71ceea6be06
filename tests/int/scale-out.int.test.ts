// Several gateway processes on one port (SOMA_GATEWAY_PROCESSES=2, server/cluster/): both workers
// serve, and /metrics adds them up; a socket.io client on long-polling stays with the worker that
// holds its session, even over a keep-alive connection the primary handed to the other; a client
// whose socket moves to the other worker mid-turn misses no event and sees none twice; a worker
// that dies is started again; SIGTERM to the primary drains both workers (their running turns
// finish) and it exits 0.
import http from "node:http";
import { io } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionEvent } from "@/lib/realtime/events";
import { startStubProvider, type StubServer } from "@/server/offline-provider/server";
import { createDb, type Db } from "@/lib/server/db";
import { slotOfTarget } from "@/server/cluster/sticky";
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

let db: Db;
let stub: StubServer;
let alice: TestUser;
let gw: { gateway: GatewayProcess; base: string; port: number };
/** The two workers' pids by slot, as /healthz names them. */
const workers = new Map<number, number>();

beforeAll(async () => {
  db = createDb(settings().database.url);
  stub = await startStubProvider();
  alice = await seedUser(db);
  gw = await startGateway(stub, {
    SOMA_GATEWAY_PROCESSES: "2",
    SOMA_SERVER_DRAIN_TIMEOUT_MS: "60000",
    SOMA_WEBRTC_PORTS: "45100-45109",
  });
  // The primary listens once one worker serves; both do shortly after.
  await waitUntil(
    async () => {
      const body = await healthz();
      if (body.worker !== undefined) workers.set(body.worker, body.pid);
      return workers.size === 2;
    },
    60_000,
    "both workers to serve",
  );
}, 120_000);

afterAll(async () => {
  await stopProcess(gw.gateway);
  await stub.close();
  await db.$disconnect();
});

/** /healthz on a connection of its own (fetch keeps one open, and a connection stays on its worker). */
function healthz(): Promise<{ pid: number; worker?: number }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${gw.base}/healthz`, { agent: false }, (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve(JSON.parse(text) as { pid: number; worker?: number }));
      })
      .on("error", reject);
  });
}

const slotOf = (socket: ChatClientSocket) => slotOfTarget(`/socket.io/?sid=${socket.io.engine.id}`);

/** A chat socket on the worker in `slot` (new connections go round-robin; others are closed). */
async function chatOn(slot: number, connect = () => connectChat(gw.base, alice.token)) {
  for (let i = 0; i < 10; i++) {
    const socket = await connect();
    if (slotOf(socket) === slot) return socket;
    socket.disconnect();
  }
  throw new Error(`no socket landed on worker ${slot} in 10 connections`);
}

function pollingChat(): Promise<ChatClientSocket> {
  const socket: ChatClientSocket = io(`${gw.base}/chat`, {
    auth: { token: alice.token },
    transports: ["polling"],
    reconnection: false,
  });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

async function metricValue(name: string): Promise<number> {
  const text = await (await fetch(`${gw.base}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return Number(line?.split(" ")[1]);
}

const deltaText = (events: SessionEvent[]) =>
  events
    .filter((e): e is Extract<SessionEvent, { type: "message.delta" }> => e.type === "message.delta")
    .map((e) => e.delta)
    .join("");

describe("a gateway of two processes on one port", () => {
  it("runs each worker in its own process and adds their metrics up", async () => {
    expect(new Set(workers.values()).size).toBe(2);
    expect([...workers.values()]).not.toContain(gw.gateway.pid);
    // Each worker binds WebRTC media to its own half of the range.
    const starting = gw.gateway
      .output()
      .split("\n")
      .find((l) => l.includes('"msg":"starting gateway workers"'));
    expect(JSON.parse(starting ?? "{}")).toMatchObject({
      processes: 2,
      webrtcPorts: [
        [45100, 45104],
        [45105, 45109],
      ],
    });

    const before = await metricValue('somaagent_socketio_connections{nsp="/chat"}');
    const sockets = [await chatOn(0), await chatOn(1)];
    try {
      // One socket on each worker: only the sum of both registries counts two more.
      await waitUntil(
        async () => (await metricValue('somaagent_socketio_connections{nsp="/chat"}')) === (before || 0) + 2,
        10_000,
        "the summed socket gauge",
      );
      expect(await metricValue("somaagent_gateway_workers")).toBe(2);
    } finally {
      for (const s of sockets) s.disconnect();
    }
  });

  it("keeps a long-polling client with the worker that holds its session", async () => {
    const sockets = [await chatOn(0, pollingChat), await chatOn(1, pollingChat)];
    try {
      const runs = sockets.map(async (socket) => {
        const sid = socket.io.engine.id;
        const sessionId = await client(gw.base, alice.token).newSession();
        const seen = collect(socket);
        expect((await emitAck(socket, "session.join", { sessionId })).ok).toBe(true);
        const sent = await emitAck(socket, "message.send", {
          sessionId,
          content: "[[delay:40]] polled word by word through the primary",
        });
        expect(sent.ok).toBe(true);
        await seen.waitFor((e) => e.type === "turn.finished", 30_000, "the polled turn to finish");
        expect(deltaText(seen.events)).toContain("polled word by word through the primary");
        // Still polling, on the same engine.io session: no request reached the wrong worker (which
        // would answer "Session ID unknown" and end it).
        expect(socket.io.engine.transport.name).toBe("polling");
        expect(socket.io.engine.id).toBe(sid);
        expect(socket.connected).toBe(true);
      });
      await Promise.all(runs);
    } finally {
      for (const s of sockets) s.disconnect();
    }
  });

  it("passes on a polling request that arrives on a connection the primary gave the other worker", async () => {
    // One keep-alive connection, as a browser reuses for its requests.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const request = (path: string, body?: string, via: http.Agent | false = agent) =>
      new Promise<{ status: number; text: string; port: number }>((resolve, reject) => {
        const req = http.request(
          `${gw.base}${path}`,
          {
            agent: via,
            method: body === undefined ? "GET" : "POST",
            headers: { "content-type": "text/plain" },
          },
          (res) => {
            const port = res.socket.localPort!;
            let text = "";
            res.on("data", (d: Buffer) => (text += d.toString()));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, text, port }));
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    try {
      const first = await request("/healthz");
      const connectionWorker = (JSON.parse(first.text) as { worker: number }).worker;
      // A session on the other worker, opened on connections of its own.
      let sid = "";
      for (let i = 0; i < 10 && !sid; i++) {
        const open = await request("/socket.io/?EIO=4&transport=polling", undefined, false);
        const id = (JSON.parse(open.text.slice(1)) as { sid: string }).sid;
        if (slotOfTarget(`/socket.io/?sid=${id}`) !== connectionWorker) sid = id;
      }
      expect(sid).not.toBe("");
      const path = `/socket.io/?EIO=4&transport=polling&sid=${sid}`;
      const connect = await request(path, `40/chat,${JSON.stringify({ token: alice.token })}`);
      expect(connect).toMatchObject({ status: 200, text: "ok", port: first.port });
      const answer = await request(path);
      expect(answer.port).toBe(first.port); // the same connection all along
      expect(answer.status).toBe(200);
      expect(answer.text).toMatch(/^40\/chat,\{"sid":/);
      // The connection itself still belongs to the first worker.
      const again = await request("/healthz");
      expect(again.port).toBe(first.port);
      expect((JSON.parse(again.text) as { worker: number }).worker).toBe(connectionWorker);
    } finally {
      agent.destroy();
    }
  });

  it("loses no event when a client's socket moves to the other worker mid-turn", async () => {
    const sessionId = await client(gw.base, alice.token).newSession();
    const first = await chatOn(0);
    let second: ChatClientSocket | undefined;
    try {
      const before = collect(first);
      expect((await emitAck(first, "session.join", { sessionId })).ok).toBe(true);
      const sent = await emitAck(first, "message.send", {
        sessionId,
        content: "[[delay:120]] a turn that goes on while its reader changes worker, word by word",
      });
      expect(sent.ok).toBe(true);
      await before.waitFor((e) => e.type === "message.delta", 10_000, "the first delta");
      // The connection drops; the page reconnects and lands on the other worker, rejoining from the
      // last event it saw (as lib/client/chat-store.ts does).
      first.disconnect();
      const lastSeq = Math.max(...before.events.map((e) => e.seq));
      second = await chatOn(1);
      const after = collect(second);
      expect((await emitAck(second, "session.join", { sessionId, afterSeq: lastSeq })).ok).toBe(true);
      await after.waitFor((e) => e.type === "turn.finished", 30_000, "the end, on the other worker");
      // The turn ran on worker 0 all along; its events reached worker 1 through Redis.
      const seqs = [...before.events, ...after.events].map((e) => e.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      expect(after.events.length).toBeGreaterThan(1);
      expect(deltaText([...before.events, ...after.events])).toContain(
        "a turn that goes on while its reader changes worker, word by word",
      );
    } finally {
      first.disconnect();
      second?.disconnect();
    }
  });

  it("starts a worker that dies again, and keeps serving on the other meanwhile", async () => {
    const dead = workers.get(1)!;
    process.kill(dead, "SIGKILL");
    await waitUntil(
      async () => gw.gateway.output().includes('"msg":"gateway worker exited; starting it again"'),
      10_000,
      "the primary to see the worker die",
    );
    // The survivor answers every request while the slot restarts.
    for (let i = 0; i < 4; i++) expect((await healthz()).worker).toBe(0);
    await waitUntil(
      async () => {
        const body = await healthz();
        if (body.worker === 1 && body.pid !== dead) workers.set(1, body.pid);
        return workers.get(1) !== dead;
      },
      60_000,
      "worker 1 to serve again",
    );
    const line = gw.gateway
      .output()
      .split("\n")
      .find((l) => l.includes('"msg":"gateway worker exited; starting it again"'));
    expect(JSON.parse(line ?? "{}")).toMatchObject({
      slot: 1,
      workerPid: dead,
      signal: "SIGKILL",
      level: 50,
    });
    expect(await metricValue("somaagent_gateway_worker_restarts_total")).toBe(1);
  });

  it("drains both workers on SIGTERM to the primary: their turns finish, then it exits 0", async () => {
    const sockets = [await chatOn(0), await chatOn(1)];
    const seen = sockets.map((s) => collect(s));
    const sessions: string[] = [];
    for (const [i, socket] of sockets.entries()) {
      const sessionId = await client(gw.base, alice.token).newSession();
      sessions.push(sessionId);
      expect((await emitAck(socket, "session.join", { sessionId })).ok).toBe(true);
      const sent = await emitAck(socket, "message.send", {
        sessionId,
        content: `[[delay:150]] turn ${i} still streaming when the primary is told to stop`,
      });
      expect(sent.ok).toBe(true);
    }
    await Promise.all(seen.map((s) => s.waitFor((e) => e.type === "message.delta", 10_000, "a delta")));
    const exited = new Promise<number | null>((resolve) => gw.gateway.once("exit", (code) => resolve(code)));
    gw.gateway.kill("SIGTERM");
    // Each socket is told to reconnect elsewhere (another host behind the load balancer) while its
    // turn goes on; a page rejoins from its last event there (gateway-drain.int.test.ts).
    await Promise.all(
      sockets.map(
        (s) =>
          new Promise<void>((resolve) =>
            (s as unknown as { once: (e: string, f: () => void) => void }).once("server.draining", resolve),
          ),
      ),
    );
    expect(await exited).toBe(0);
    for (const sessionId of sessions) {
      const turn = await db.turn.findFirst({ where: { sessionId }, select: { status: true } });
      expect(turn?.status).toBe("completed");
    }
    const lines = gw.gateway
      .output()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const drained = lines.filter((l) => l.msg === "turns drained");
    expect(drained.map((l) => l.pid).sort()).toEqual([...workers.values()].sort());
    for (const l of drained) expect(l).toMatchObject({ finished: 1, stopped: 0, sockets: 1 });
    expect(lines.filter((l) => l.msg === "stopped")).toEqual(
      expect.arrayContaining([expect.objectContaining({ pid: gw.gateway.pid, exitCodes: [0, 0] })]),
    );
    await expect(fetch(`${gw.base}/healthz`)).rejects.toThrow();
    for (const s of sockets) s.disconnect();
  });
});
