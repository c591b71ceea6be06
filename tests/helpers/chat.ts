// Harness for chat tests: the test provider in this process, a real executor and a real gateway
// process pointed at it, users in their own tenants, and small REST/SSE/socket.io clients.
import { randomUUID } from "node:crypto";
import { io, type Socket } from "socket.io-client";
import { seedTenantUser } from "@/lib/jobs/seed";
import { startStubProvider, type StubServer } from "@/server/offline-provider/server";
import { createDb, type Db } from "@/lib/server/db";
import type { ChatClientEvents, ChatServerEvents, SessionEvent } from "@/lib/realtime/events";
import { connectFga } from "@/lib/server/openfga";
import { SseParser } from "@/lib/http/sse-parse";
import { freePort, settings, startProcess, stopProcess, waitUntil } from "./services";
import { startExecutor, type ExecutorProcess } from "./executor";

export type GatewayProcess = ReturnType<typeof startProcess>;

export interface TestUser {
  token: string;
  userId: string;
  tenantId: string;
  email: string;
  password: string;
}

/** A user in a tenant of their own (or in `tenantSlug`'s), with the tenant's OpenFGA tuple. */
export async function seedUser(
  db: Db,
  role: "admin" | "member" = "admin",
  tenantSlug = `chat-${randomUUID().slice(0, 8)}`,
): Promise<TestUser & { tenantSlug: string }> {
  const email = `chat-${randomUUID()}@test.local`;
  const password = `pw-${randomUUID()}`;
  const { client } = await connectFga(settings().openfga.apiUrl, settings().openfga.storeName);
  const seeded = await seedTenantUser(db, client, {
    tenantSlug,
    tenantName: "Chat test",
    email,
    displayName: "Chat test",
    password,
    role,
  });
  return {
    token: seeded.token,
    userId: seeded.userId,
    tenantId: seeded.tenantId,
    email,
    password,
    tenantSlug,
  };
}

export function gatewayEnv(stub: Pick<StubServer, "url">, port: number, extra: Record<string, string> = {}) {
  return {
    NODE_ENV: "production",
    PORT: String(port),
    LOG_LEVEL: "info",
    SOMA_SERVER_PUBLIC_URL: `http://127.0.0.1:${port}`,
    SOMA_MODELS_CHAT_PROVIDER: "stub",
    SOMA_MODELS_CHAT_NAME: "stub-chat",
    SOMA_MODELS_CHAT_BASE_URL: stub.url,
    SOMA_AGENT_TOOL_TIMEOUT_MS: "8000",
    // One process, as each test reads one gateway's log lines and exit; production's default (one
    // per core) is tested in gateway-process.int.test.ts, several on one port in scale-out.int.test.ts.
    SOMA_GATEWAY_PROCESSES: "1",
    ...extra,
  };
}

export async function startGateway(
  stub: Pick<StubServer, "url">,
  extra: Record<string, string> = {},
  port?: number,
): Promise<{ gateway: GatewayProcess; base: string; port: number }> {
  const p = port ?? (await freePort());
  // node --import tsx, not npx: signals must reach the gateway itself.
  const gateway = startProcess("node", ["--import", "tsx", "server/index.ts"], gatewayEnv(stub, p, extra));
  const base = `http://127.0.0.1:${p}`;
  try {
    await waitUntil(async () => (await fetch(`${base}/healthz`)).ok, 60_000, "the gateway to listen");
  } catch (err) {
    await stopProcess(gateway);
    throw new Error(`${(err as Error).message}\n${gateway.output().slice(-2000)}`, { cause: err });
  }
  return { gateway, base, port: p };
}

type StartedGateway = Awaited<ReturnType<typeof startGateway>>;

/**
 * Two gateways started side by side; if one does not start, the other is stopped before the error is
 * thrown (none is left running for later test files, where its outbox relay and consumers would take
 * their work).
 */
export async function startGatewayPair(
  stub: Pick<StubServer, "url">,
  extra: () => Record<string, string> = () => ({}),
): Promise<[StartedGateway, StartedGateway]> {
  const [a, b] = await Promise.allSettled([startGateway(stub, extra()), startGateway(stub, extra())]);
  if (a.status === "fulfilled" && b.status === "fulfilled") return [a.value, b.value];
  for (const r of [a, b]) if (r.status === "fulfilled") await stopProcess(r.value.gateway);
  throw a.status === "rejected" ? a.reason : (b as PromiseRejectedResult).reason;
}

export interface ChatStack {
  stub: StubServer;
  executor: ExecutorProcess;
  gateway: GatewayProcess;
  base: string;
  port: number;
  db: Db;
  close(): Promise<void>;
}

/** `env`: extra variables for the executor and gateway, or a function of the stub that makes them. */
export async function startChatStack(
  env: Record<string, string> | ((stub: StubServer) => Record<string, string>) = {},
): Promise<ChatStack> {
  const db = createDb((await import("./services")).settings().database.url);
  const stub = await startStubProvider();
  const extra = typeof env === "function" ? env(stub) : env;
  const [executor, gw] = await Promise.all([startExecutor("bullmq", extra), startGateway(stub, extra)]);
  return {
    stub,
    executor,
    ...gw,
    db,
    async close() {
      await Promise.all([stopProcess(gw.gateway), stopProcess(executor)]);
      await stub.close();
      await db.$disconnect();
    },
  };
}

export function client(base: string, token: string) {
  const req = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return {
      status: res.status,
      headers: res.headers,
      json: json as Record<string, unknown> & {
        error?: { code: string; message: string; details?: unknown };
      },
    };
  };
  return {
    get: (p: string, h?: Record<string, string>) => req("GET", p, undefined, h),
    post: (p: string, b?: unknown, h?: Record<string, string>) => req("POST", p, b, h),
    patch: (p: string, b?: unknown) => req("PATCH", p, b),
    put: (p: string, b?: unknown) => req("PUT", p, b),
    del: (p: string) => req("DELETE", p),
    async newSession(title?: string): Promise<string> {
      const r = await req("POST", "/api/v1/sessions", title ? { title } : {});
      if (r.status !== 201) throw new Error(`create session: ${r.status} ${JSON.stringify(r.json)}`);
      return r.json.id as string;
    },
  };
}

/** POST a message asking for the turn's events as SSE. */
export function postMessageSse(
  base: string,
  token: string,
  sessionId: string,
  content: string,
): Promise<Response> {
  return fetch(`${base}/api/v1/sessions/${sessionId}/messages`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "text/event-stream",
    },
    body: JSON.stringify({ content }),
  });
}

/** Reads an SSE response until `until` says stop (or the stream ends, or the deadline). */
export async function readSse(
  res: Response,
  until: (e: SessionEvent) => boolean = () => false,
  timeoutMs = 30_000,
): Promise<{ events: SessionEvent[]; ended: boolean; ids: number[] }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: SessionEvent[] = [];
  const ids: number[] = [];
  const sse = new SseParser();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const chunk = await Promise.race([
      reader.read(),
      new Promise<"timeout">((r) => setTimeout(() => r("timeout"), left)),
    ]);
    if (chunk === "timeout") break;
    if (chunk.done) return { events, ended: true, ids };
    for (const m of sse.push(decoder.decode(chunk.value, { stream: true }))) {
      if (m.id !== undefined) ids.push(Number(m.id));
      const e = JSON.parse(m.data) as SessionEvent;
      events.push(e);
      if (until(e)) {
        await reader.cancel();
        return { events, ended: false, ids };
      }
    }
  }
  await reader.cancel().catch(() => undefined);
  return { events, ended: false, ids };
}

export type ChatClientSocket = Socket<ChatServerEvents, ChatClientEvents>;

export async function connectChat(base: string, token: string): Promise<ChatClientSocket> {
  const socket: ChatClientSocket = io(`${base}/chat`, {
    auth: { token },
    transports: ["websocket"],
    reconnection: false,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", (err) => reject(err));
  });
  return socket;
}

export function emitAck<T = unknown>(
  socket: ChatClientSocket,
  event: keyof ChatClientEvents,
  payload: unknown,
): Promise<{ ok: true; data: T } | { ok: false; error: { code: string; message: string } }> {
  return new Promise((resolve) =>
    (socket.emit as (e: string, p: unknown, ack: (r: unknown) => void) => void)(event, payload, (r) =>
      resolve(r as { ok: true; data: T }),
    ),
  );
}

/** Collects a socket's session events; `waitFor` resolves when one matches. */
export function collect(socket: ChatClientSocket) {
  const events: SessionEvent[] = [];
  socket.on("event", (e) => events.push(e));
  return {
    events,
    waitFor: (pred: (e: SessionEvent) => boolean, timeoutMs = 30_000, what = "an event") =>
      waitUntil(async () => events.some(pred), timeoutMs, what).then(() => events.find(pred)!),
  };
}
