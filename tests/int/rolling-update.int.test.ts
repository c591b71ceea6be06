// A rolling update under load: two gateways behind a round-robin load balancer, chat clients
// sending turn after turn through it (as the page does: lib/client/send-message.ts and
// reconnect-on-drain.ts). One gateway is drained (SIGTERM) and replaced by a new process on its
// port, then the other. Every turn sent must finish, none twice, and every client's event sequence
// must have no gap and no repeat.
import { io } from "socket.io-client";
import type { Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconnectOnDrain } from "@/lib/client/reconnect-on-drain";
import { sendMessage } from "@/lib/client/send-message";
import { TURN_END_EVENTS, type SessionEvent } from "@/lib/realtime/events";
import { startStubProvider, type StubServer } from "@/server/offline-provider/server";
import { createDb, type Db } from "@/lib/server/db";
import { client, seedUser, startGateway, type GatewayProcess, type TestUser } from "../helpers/chat";
import { startExecutor, type ExecutorProcess } from "../helpers/executor";
import { loadBalancer, type LoadBalancer } from "../helpers/load-balancer";
import { settings, stopProcess, waitUntil } from "../helpers/services";

const CLIENTS = 8;
const SEND_EVERY_MS = 2_500;
const GATEWAY_ENV = { SOMA_SERVER_DRAIN_TIMEOUT_MS: "60000" };

let db: Db;
let stub: StubServer;
let executor: ExecutorProcess;

beforeAll(async () => {
  db = createDb(settings().database.url);
  stub = await startStubProvider();
  executor = await startExecutor("bullmq");
}, 120_000);

afterAll(async () => {
  await stopProcess(executor);
  await stub.close();
  await db.$disconnect();
});

/** One person's page: a session, turn after turn, the events it sees, what went wrong. */
class LoadClient {
  readonly socket: Socket;
  readonly seqs: number[] = [];
  readonly ends = new Map<string, SessionEvent["type"]>();
  readonly problems: string[] = [];
  sent = 0;
  retried = 0;
  connects = 0;
  private lastSeq = 0;
  private stopping = false;
  private loop: Promise<void> = Promise.resolve();
  private waiters = new Map<string, () => void>();

  constructor(
    base: string,
    readonly user: TestUser,
    readonly sessionId: string,
  ) {
    this.socket = io(`${base}/chat`, {
      auth: { token: user.token },
      transports: ["websocket"],
      autoConnect: false,
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
    });
    reconnectOnDrain(this.socket);
    this.socket.on("event", (e: SessionEvent) => {
      this.seqs.push(e.seq);
      this.lastSeq = Math.max(this.lastSeq, e.seq);
      if (TURN_END_EVENTS.has(e.type) && "turnId" in e) {
        this.ends.set(e.turnId, e.type);
        this.waiters.get(e.turnId)?.();
      }
    });
    // As lib/client/chat-store.ts: (re)join from the last sequence number seen on every connect.
    this.socket.on("connect", () => {
      this.connects++;
      this.socket.emit(
        "session.join",
        { sessionId, afterSeq: this.lastSeq },
        (r: { ok: boolean; error?: { message: string } }) => {
          if (!r.ok) this.problems.push(`join refused: ${r.error?.message}`);
        },
      );
    });
  }

  start() {
    this.socket.connect();
    this.loop = this.run();
  }

  async stop() {
    this.stopping = true;
    await this.loop;
    this.socket.disconnect();
  }

  private async run() {
    while (!this.stopping) {
      const started = Date.now();
      this.sent++;
      try {
        const { turnId } = await sendMessage(
          this.socket,
          {
            sessionId: this.sessionId,
            content: `[[delay:60]] turn ${this.sent}: words streamed while gateways roll`,
          },
          { onRetry: () => this.retried++ },
        );
        await this.ended(turnId);
        if (this.ends.get(turnId) !== "turn.finished")
          this.problems.push(`${turnId}: ${this.ends.get(turnId)}`);
      } catch (err) {
        this.problems.push(`send ${this.sent}: ${(err as Error).message}`);
      }
      // One message at most every 2.5 s, however fast its turn ran: 24 a minute, under the limit
      // of 30 a minute per user (a sleep after each turn alone reached 30 when turns got faster).
      await new Promise((r) => setTimeout(r, Math.max(100, started + SEND_EVERY_MS - Date.now())));
    }
  }

  private ended(turnId: string): Promise<void> {
    if (this.ends.has(turnId)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.problems.push(`${turnId}: no end seen in 30 s`);
        resolve();
      }, 30_000);
      this.waiters.set(turnId, () => {
        clearTimeout(timer);
        this.waiters.delete(turnId);
        resolve();
      });
    });
  }

  finished() {
    return [...this.ends.values()].filter((t) => t === "turn.finished").length;
  }
}

/**
 * A page on one gateway (its own load balancer prefers that gateway, then the other) that sends one
 * message the moment it is told the gateway drains, before it drops the connection as the page does.
 */
class DrainProbe {
  private sent?: Promise<{ turnId: string }>;
  private retried = 0;

  private constructor(
    private readonly socket: Socket,
    private readonly lb: LoadBalancer,
    readonly sessionId: string,
  ) {
    socket.on("server.draining", () => {
      this.sent ??= sendMessage(
        socket,
        { sessionId, content: "sent as the gateway drains" },
        { onRetry: () => this.retried++ },
      );
    });
    reconnectOnDrain(socket); // after the listener above: the send is written before the drop
  }

  static async open(first: number, then: number): Promise<DrainProbe> {
    const lb = await loadBalancer([first, then]);
    const user = await seedUser(db);
    const sessionId = await client(lb.base, user.token).newSession();
    const socket = io(`${lb.base}/chat`, {
      auth: { token: user.token },
      transports: ["websocket"],
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
    });
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    return new DrainProbe(socket, lb, sessionId);
  }

  async result(): Promise<{ turnId: string; retried: number }> {
    await waitUntil(async () => this.sent !== undefined, 10_000, "the probe to hear server.draining");
    const { turnId } = await this.sent!;
    return { turnId, retried: this.retried };
  }

  async close() {
    this.socket.disconnect();
    await this.lb.close();
  }
}

const exitOf = (gateway: GatewayProcess) =>
  new Promise<number | null>((resolve) => {
    if (gateway.exitCode !== null) resolve(gateway.exitCode);
    else gateway.once("exit", (code) => resolve(code));
  });

describe("a rolling update of two gateways under load", () => {
  it("drains and replaces each gateway in turn: no failed turn, no turn twice, no event gap", async () => {
    const gateways = [await startGateway(stub, GATEWAY_ENV), await startGateway(stub, GATEWAY_ENV)];
    const lb = await loadBalancer(
      gateways.map((g) => g.port),
      { roundRobin: true },
    );
    const clients: LoadClient[] = [];
    const probes: DrainProbe[] = [];
    try {
      for (let i = 0; i < CLIENTS; i++) {
        const user = await seedUser(db);
        const sessionId = await client(lb.base, user.token).newSession();
        clients.push(new LoadClient(lb.base, user, sessionId));
      }
      for (const c of clients) c.start();
      const finishedBy = (n: number) => async () => clients.every((c) => c.finished() >= n);
      await waitUntil(finishedBy(2), 60_000, "every client to finish two turns");

      // A message that reaches the first gateway after its drain began, every time: a page on that
      // gateway sends the moment it hears `server.draining` (before it drops the connection).
      const probe = await DrainProbe.open(gateways[0]!.port, gateways[1]!.port);
      probes.push(probe);

      const replaced: number[] = [];
      for (let i = 0; i < gateways.length; i++) {
        const old = gateways[i]!;
        const exited = exitOf(old.gateway);
        old.gateway.kill("SIGTERM");
        expect(await exited).toBe(0);
        // The new process on the same port (what an orchestrator does with the new image).
        gateways[i] = await startGateway(stub, GATEWAY_ENV, old.port);
        if (i === 0) {
          const { turnId, retried } = await probe.result();
          console.log(`rolling update: the message sent into the drain was sent ${retried + 1} times`);
          expect(retried).toBeGreaterThanOrEqual(1);
          await waitUntil(
            async () => (await db.turn.findUnique({ where: { id: turnId } }))?.status === "completed",
            30_000,
            "the message sent into the drain to finish",
          );
          expect(await db.turn.count({ where: { sessionId: probe.sessionId } })).toBe(1);
          expect(await db.message.count({ where: { sessionId: probe.sessionId, role: "user" } })).toBe(1);
        }
        const target = Math.max(...clients.map((c) => c.finished())) + 2;
        await waitUntil(finishedBy(target), 60_000, `every client to finish ${target} turns`);
        replaced.push(old.port);
      }
      expect(replaced).toHaveLength(2);
      await Promise.all(clients.map((c) => c.stop()));

      const problems = clients.flatMap((c) => c.problems);
      const sent = clients.reduce((n, c) => n + c.sent, 0);
      const finished = clients.reduce((n, c) => n + c.finished(), 0);
      const events = clients.reduce((n, c) => n + c.seqs.length, 0);
      console.log(
        `rolling update: ${CLIENTS} clients, ${sent} turns sent, ${finished} finished, ` +
          `${clients.reduce((n, c) => n + c.retried, 0)} sends retried, ` +
          `${clients.reduce((n, c) => n + c.connects - 1, 0)} reconnects, ${events} events, ` +
          `${problems.length} problems`,
      );
      expect(problems).toEqual([]);
      expect(finished).toBe(sent);
      for (const c of clients) {
        // Every event once, in order, whichever gateway sent it.
        expect(c.seqs).toEqual(c.seqs.map((_, i) => i + 1));
        // One turn and one user message per message sent, even those sent twice.
        const turns = await db.turn.findMany({ where: { sessionId: c.sessionId }, select: { status: true } });
        expect(turns).toHaveLength(c.sent);
        expect(turns.every((t) => t.status === "completed")).toBe(true);
        expect(await db.message.count({ where: { sessionId: c.sessionId, role: "user" } })).toBe(c.sent);
      }
      // Each client was moved at least once (each gateway it used was replaced).
      expect(clients.every((c) => c.connects >= 2)).toBe(true);
    } finally {
      for (const c of clients) c.socket.disconnect();
      for (const p of probes) await p.close();
      await lb.close();
      await Promise.all(gateways.map((g) => stopProcess(g.gateway)));
    }
  }, 240_000);
});
