// /readyz against real dependencies, with a private Redis this test can stop and start again.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { createHttpHandler } from "@/server/http-handler";
import { createDb, type Db } from "@/lib/server/db";
import { createRedis } from "@/lib/server/redis";
import { createKafka } from "@/lib/server/kafka";
import { gatewayChecks } from "@/lib/server/readiness";
import { freePort, settings, startProcess, stopProcess, waitUntil } from "../helpers/services";

let redisPort: number;
let redisProc: ReturnType<typeof startProcess> | undefined;
let server: http.Server;
let base: string;
let db: Db;
const kafkaAdmin = () => {
  const admin = createKafka(settings().kafka.brokers, "readiness-test").admin();
  return admin.connect().then(() => admin);
};
let admin: Awaited<ReturnType<typeof kafkaAdmin>>;

const startRedis = async () => {
  redisProc = startProcess("redis-server", [
    "--port",
    String(redisPort),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
  ]);
  await waitUntil(
    async () => redisProc!.output().includes("Ready to accept connections"),
    10_000,
    "private redis",
  );
};

beforeAll(async () => {
  redisPort = await freePort();
  await startRedis();
  const redis = createRedis(`redis://127.0.0.1:${redisPort}`);
  redis.on("error", () => undefined);
  db = createDb(settings().database.url);
  admin = await kafkaAdmin();
  const handler = createHttpHandler({
    log: pino({ level: "silent" }),
    dev: false,
    ui: true,
    auth: () => ({ db, redis }),
    isShuttingDown: () => false,
    allowedOrigins: ["http://app.example"],
    trustedProxies: [],
    next: async (_req, res) => {
      res.writeHead(200).end("next");
    },
    readiness: () =>
      gatewayChecks({
        db,
        redis,
        kafkaAdmin: async () => admin,
        openfgaUrl: settings().openfga.apiUrl,
        opaUrl: settings().opa.url,
      }),
  });
  server = http.createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.close();
  await admin?.disconnect();
  await db?.$disconnect();
  if (redisProc) await stopProcess(redisProc);
});

const readyz = async () => {
  const res = await fetch(`${base}/readyz`);
  return {
    status: res.status,
    body: (await res.json()) as {
      status: string;
      failing: string[];
      checks: Record<string, { ok: boolean; error?: string }>;
    },
  };
};

describe("/readyz", () => {
  it("is 200 with postgres, redis, kafka, openfga and opa all ok", async () => {
    const { status, body } = await readyz();
    expect(body.failing).toEqual([]);
    expect(status).toBe(200);
    expect(Object.keys(body.checks).sort()).toEqual(["kafka", "opa", "openfga", "postgres", "redis"]);
    expect(Object.values(body.checks).every((c) => c.ok)).toBe(true);
  });

  it("turns 503 naming redis while redis is down, and recovers when it is back", async () => {
    await stopProcess(redisProc!);
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body.failing).toEqual(["redis"]);
    expect(down.body.checks.redis!.error).toBeTruthy();

    await startRedis();
    await waitUntil(async () => (await readyz()).status === 200, 15_000, "readiness to recover");
    expect((await readyz()).body.failing).toEqual([]);
  });

  it("answers /healthz while a dependency is down (the process is alive)", async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });
});
