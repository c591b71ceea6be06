// Integration-test harness for the tool path: real executor processes, and the gateway side
// (outbox relay, results consumer, waiters) in the test process, on either transport.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { createBus, toolResultSchema, type Bus } from "@/lib/bus";
import { OutboxRelay } from "@/lib/bus/outbox-relay";
import { seedTenantUser } from "@/lib/jobs/seed";
import { createDb, type Db } from "@/lib/server/db";
import { createRedis } from "@/lib/server/redis";
import { enqueueToolCall } from "@/lib/tool-calls/dispatch";
import {
  listenForToolCall,
  notifyToolDone,
  resultWaiters,
  waitForToolCall,
} from "@/lib/tool-calls/result-notify";
import { settings, startProcess, stopProcess, waitUntil } from "./services";

export type Transport = "kafka" | "bullmq";
export type ExecutorProcess = ReturnType<typeof startProcess>;

export const TEST_SECRET_VALUE = `s3cr3t-${randomUUID()}`;

/** An executor secrets file giving `tenantSlug` the secret API_TOKEN (TEST_SECRET_VALUE). */
export function secretsFileFor(tenantSlug: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "soma-exec-secrets-")), "secrets.json");
  fs.writeFileSync(file, JSON.stringify({ [tenantSlug]: { API_TOKEN: TEST_SECRET_VALUE } }), { mode: 0o600 });
  return file;
}

export async function startExecutor(
  transport: Transport,
  env: Record<string, string> = {},
): Promise<ExecutorProcess> {
  // node --import tsx (not npx): SIGKILL must reach the executor itself.
  const p = startProcess("node", ["--import", "tsx", "workers/tool-executor/index.ts"], {
    SOMA_BUS_TRANSPORT: transport,
    SOMA_EXECUTOR_HEALTH_PORT: "0",
    SOMA_AGENT_TOOL_TIMEOUT_MS: "4000",
    LOG_LEVEL: "info",
    ...env,
  });
  try {
    await waitUntil(
      async () => p.output().includes('"tool executor ready"'),
      60_000,
      "the executor to start",
    );
  } catch (err) {
    await stopProcess(p);
    throw err;
  }
  return p;
}

export { stopProcess };

export interface Actor {
  userId: string;
  role: "admin" | "member";
}

export interface GatewaySide {
  db: Db;
  bus: Bus;
  tenantId: string;
  tenantSlug: string;
  newSession(): Promise<string>;
  call(
    tool: string,
    args: Record<string, unknown>,
    opts?: { sessionId?: string; timeoutMs?: number; actor?: Actor },
  ): Promise<{ id: string; status: string; result: unknown; error: string | null }>;
  enqueue(tool: string, args: Record<string, unknown>, sessionId: string, actor?: Actor): Promise<string>;
  /** Another member of the same tenant, to call tools as. */
  member(): Promise<Actor>;
  wait(toolCallId: string, timeoutMs?: number): ReturnType<typeof waitForToolCall>;
  close(): Promise<void>;
}

export async function gatewaySide(transport: Transport): Promise<GatewaySide> {
  const s = { ...settings(), bus: { transport } };
  const db = createDb(s.database.url);
  const redis = createRedis(s.redis.url);
  const bus = createBus(s, `test-gateway-${transport}`);
  const relay = new OutboxRelay(db, bus, pino({ level: "silent" }));
  relay.start();
  await bus.consume("toolResults", `test-results-${randomUUID()}`, async (raw) => {
    const r = toolResultSchema.safeParse(JSON.parse(raw));
    if (r.success) await notifyToolDone(redis, r.data.toolCallId);
  });
  const waiters = resultWaiters(s.redis.url);
  const tenantSlug = `exec-${randomUUID().slice(0, 8)}`;
  const seeded = await seedTenantUser(db, undefined, {
    tenantSlug,
    tenantName: "Executor test",
    email: `exec-${randomUUID()}@test.local`,
    displayName: "Executor test",
  });
  const newSession = async () =>
    (
      await db.session.create({
        data: { tenantId: seeded.tenantId, ownerId: seeded.userId, title: "executor test" },
        select: { id: true },
      })
    ).id;
  const defaultSession = await newSession();
  const enqueue = async (tool: string, args: Record<string, unknown>, sessionId: string, actor?: Actor) => {
    const { toolCallId } = await enqueueToolCall(db, {
      sessionId,
      tenantId: seeded.tenantId,
      tool,
      arguments: args,
      ...(actor ? { actor } : {}),
    });
    relay.kick();
    return toolCallId;
  };
  const wait = (id: string, timeoutMs = 60_000) => waitForToolCall(db, waiters, id, timeoutMs);
  return {
    db,
    bus,
    tenantId: seeded.tenantId,
    tenantSlug,
    newSession,
    enqueue,
    wait,
    async member() {
      const m = await seedTenantUser(db, undefined, {
        tenantSlug,
        tenantName: "Executor test",
        email: `exec-${randomUUID()}@test.local`,
        displayName: "Executor test member",
        role: "member",
      });
      return { userId: m.userId, role: "member" };
    },
    // As the gateway calls (lib/tool-calls/call.ts): listening before the call is enqueued.
    async call(tool, args, opts = {}) {
      const id = randomUUID();
      const listener = await listenForToolCall(db, waiters, id);
      try {
        await enqueueToolCall(db, {
          toolCallId: id,
          sessionId: opts.sessionId ?? defaultSession,
          tenantId: seeded.tenantId,
          tool,
          arguments: args,
          ...(opts.actor ? { actor: opts.actor } : {}),
        });
        relay.kick();
        const done = await listener.wait(opts.timeoutMs ?? 60_000);
        if (!done) throw new Error(`no result for ${tool} call ${id}`);
        return done;
      } finally {
        listener.stop();
      }
    },
    async close() {
      await relay.stop();
      await bus.close();
      redis.disconnect();
      await db.$disconnect();
    },
  };
}
