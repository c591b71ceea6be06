// The gateway process: one HTTP server hosting Next (pages + route handlers) and socket.io on one
// port, with /healthz, /readyz and /metrics. SIGTERM/SIGINT drain it: /readyz says so, no new
// connections, turns or calls (503 `draining`), every socket told to reconnect (to another gateway),
// running turns given server.drainTimeoutMs to finish, in-flight requests finished, every client
// closed once, exit 0.
import "./tracing"; // first: the SDK (when configured) starts before anything else loads
import { followSettingsChanges } from "../lib/settings/reload-listener";
import http from "node:http";
import path from "node:path";
import next from "next";
import type { Admin } from "kafkajs";
import { loadConfigOrExit } from "./config";
import { createHttpHandler } from "./http-handler";
import { methodTable } from "../lib/api/method-table";
import { CONTRACTS } from "../app/api/contracts";
import { stopListeningForRevocations } from "../lib/auth/revocation";
import { attachSocketIo } from "./socket";
import { configureLogger, logger } from "../lib/server/logger";
import { db } from "../lib/server/db";
import { redis } from "../lib/server/redis";
import { kafka } from "../lib/server/kafka";
import { gatewayChecks } from "../lib/server/readiness";
import { isDevelopment } from "../lib/config/env";
import { startToolRuntime } from "../lib/tool-calls/runtime";
import { turns } from "../lib/agent/turns";
import { registerDbMetrics } from "../lib/server/db-metrics";
import { readMaintenance } from "../lib/maintenance/state";
import { markDraining } from "../lib/server/draining";
import { stopTracing } from "../lib/tracing/start";

const config = loadConfigOrExit("gateway");
const { settings } = config;
const dev = isDevelopment();
configureLogger({ level: settings.server.logLevel, pretty: dev && process.stdout.isTTY, name: "gateway" });
const log = logger();

let kafkaAdmin: Promise<Admin> | undefined;
function getKafkaAdmin(): Promise<Admin> {
  kafkaAdmin ??= (async () => {
    const admin = kafka().admin();
    await admin.connect();
    return admin;
  })().catch((err: unknown) => {
    kafkaAdmin = undefined;
    throw err;
  });
  return kafkaAdmin;
}
const useKafka = settings.kafka.enabled || settings.bus.transport === "kafka";

async function main(): Promise<void> {
  const root = path.resolve(import.meta.dirname, "..");
  const app = next({ dev, dir: root, hostname: settings.server.host, port: settings.server.port });
  await app.prepare();
  const nextHandle = app.getRequestHandler();
  const nextUpgrade = app.getUpgradeHandler();
  registerDbMetrics({ db, migrationsDir: path.join(root, "prisma", "migrations"), log });

  let shuttingDown = false;
  const authDeps = () => ({ db: db(), redis: redis() });
  const handler = createHttpHandler({
    log,
    dev,
    ui: settings.server.ui,
    auth: authDeps,
    isShuttingDown: () => shuttingDown,
    allowedOrigins: [new URL(settings.server.publicUrl).origin],
    trustedProxies: settings.server.trustedProxies,
    metricsToken: settings.server.metricsToken,
    https: settings.server.publicUrl.startsWith("https:"),
    next: (req, res) => nextHandle(req, res),
    methods: methodTable(CONTRACTS),
    maintenance: () => readMaintenance(redis()),
    readiness: () =>
      gatewayChecks({
        db: db(),
        redis: redis(),
        ...(useKafka ? { kafkaAdmin: getKafkaAdmin } : {}),
        openfgaUrl: settings.openfga.apiUrl,
        opaUrl: settings.opa.url,
      }),
  });

  const server = http.createServer((req, res) => void handler(req, res));
  server.keepAliveTimeout = 65_000;
  const sockets = attachSocketIo(server, {
    log,
    redisUrl: settings.redis.url,
    allowedOrigins: [new URL(settings.server.publicUrl).origin],
    auth: authDeps,
  });
  server.on("upgrade", (req, socket, head) => {
    if (req.url?.startsWith("/socket.io")) return; // socket.io handles its own upgrades
    void nextUpgrade(req, socket, head);
  });

  const tools = await startToolRuntime(log);
  // Settings saved on any gateway are applied here too (models, speech, agent).
  await followSettingsChanges(settings.redis.url, log);
  // Every gateway sweeps for turns whose gateway died, whether or not it runs turns itself.
  const turnManager = turns();

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(settings.server.port, settings.server.host, () => resolve());
  });
  log.info(
    { port: settings.server.port, dev, ui: settings.server.ui, bus: settings.bus.transport },
    "gateway listening",
  );

  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    markDraining();
    log.info(
      { signal, runningTurns: turnManager.active.size },
      "shutting down: no new connections, turns or calls; finishing running turns and in-flight requests",
    );
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Connections that were busy a moment ago and are idle now.
    const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
    idleSweep.unref();
    const told = await sockets.drain();
    const { finished, stopped } = await turnManager.shutdown({ waitMs: settings.server.drainTimeoutMs });
    log.info({ sockets: told, finished, stopped }, "turns drained");
    // The grace period for the requests still open (an SSE stream's last events) starts now.
    const force = setTimeout(() => {
      log.warn("grace period over, closing remaining connections");
      server.closeAllConnections();
    }, settings.server.shutdownGraceMs);
    force.unref();
    await sockets.close();
    await closed;
    await tools.close();
    await Promise.allSettled([
      db().$disconnect(),
      Promise.resolve(redis().disconnect()),
      stopListeningForRevocations(),
      kafkaAdmin?.then((a) => a.disconnect()),
      app.close(),
    ]);
    await stopTracing(); // the spans of the last turns, still buffered
    log.info("stopped");
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  log.fatal({ err }, "gateway failed to start");
  process.exit(1);
});
