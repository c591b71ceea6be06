// /readyz against real dependencies, with a private Redis this test can stop and start again.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { createHttpHandler } from "@/server/http-handler";
import { CONTRACTS } from "@/app/api/contracts";
import { methodTable } from "@/lib/api/method-table";
import { createDb, type Db } from "@/lib/server/db";
import { createRedis } from "@/lib/server/redis";
import { createKafka } from "@/lib/server/kafka";
import { gatewayChecks } from "@/lib/server/readiness";
import { freePort, settings, startPrivateRedis, stopProcess, waitUntil } from "../helpers/services";

let redisPort: number;
let redisProc: Awaited<ReturnType<typeof startPrivateRedis>> | undefined;
let server: http.Server;
let base: string;
let db: Db;
const kafkaAdmin = () => {
  const admin = createKafka(settings().kafka, "readiness-test").admin();
  return admin.connect().then(() => admin);
};
let admin: Awaited<ReturnType<typeof kafkaAdmin>>;

const startRedis = async () => {
  redisProc = await startPrivateRedis(redisPort);
};

const OPERATOR_TOKEN = "operator-token-for-readiness-tests";

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
    // This host is the trusted proxy: a request forwarded "for" another address is another host's.
    trustedProxies: ["127.0.0.1"],
    methods: methodTable(CONTRACTS),
    metricsToken: OPERATOR_TOKEN,
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

  it("shows its details and /metrics to operators only: this host, or the metrics token", async () => {
    // A documentation address in X-Forwarded-For, from the trusted proxy: only a header, no traffic.
    const remote = { "x-forwarded-for": "203.0.113.7" };
    const outsider = await fetch(`${base}/readyz`, { headers: remote });
    expect(outsider.status).toBe(200);
    expect(await outsider.json()).toEqual({ status: "ok" });
    const metrics = await fetch(`${base}/metrics`, { headers: remote });
    expect(metrics.status).toBe(401);
    expect(((await metrics.json()) as { error: { message: string } }).error.message).toContain(
      "metricsToken",
    );
    const wrong = await fetch(`${base}/metrics`, { headers: { ...remote, authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    const operator = { ...remote, authorization: `Bearer ${OPERATOR_TOKEN}` };
    expect((await fetch(`${base}/metrics`, { headers: operator })).status).toBe(200);
    expect(
      Object.keys(
        ((await (await fetch(`${base}/readyz`, { headers: operator })).json()) as { checks: object }).checks,
      ),
    ).toHaveLength(5);
    expect((await fetch(`${base}/healthz`, { headers: remote })).status).toBe(200);
  });

  it("answers /healthz while a dependency is down (the process is alive)", async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });
});
