// The gateway process: one HTTP server hosting Next (pages + route handlers) and socket.io on one
// port, with /healthz, /readyz and /metrics. SIGTERM/SIGINT drain it: /readyz says so, no new
// connections, turns or calls (503 `draining`), every socket told to reconnect (to another gateway),
// running turns given server.drainTimeoutMs to finish, in-flight requests finished, every client
// closed once, exit 0.
// With server.processes > 1 (SOMA_GATEWAY_PROCESSES; one per core by default in production) this
// process is the primary of that many such gateways on one port (server/cluster/primary.ts), each
// of them this file again as a cluster worker (server/cluster/worker.ts).
import "./tracing"; // first: the SDK (when configured) starts before anything else loads
import { followSettingsChanges } from "../lib/settings/reload-listener";
import cluster from "node:cluster";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import next from "next";
import type { Admin } from "kafkajs";
import { loadConfigOrExit } from "./config";
import { createHttpHandler } from "./http-handler";
import { methodTable } from "../lib/api/method-table";
import { CONTRACTS } from "../app/api/contracts";
import { stopListeningForRevocations } from "../lib/auth/revocation";
import { attachSocketIo } from "./socket";
import { serveSessionEvents } from "./session-events";
import { serveSessionMessage } from "./session-messages";
import { configureLogger, logger } from "../lib/server/logger";
import { db } from "../lib/server/db";
import { redis } from "../lib/server/redis";
import { kafka } from "../lib/server/kafka";
import { gatewayChecks } from "../lib/server/readiness";
import { isDevelopment, processEnv } from "../lib/config/env";
import { startToolRuntime } from "../lib/tool-calls/runtime";
import { turns } from "../lib/agent/turns";
import { registerDbMetrics } from "../lib/server/db-metrics";
import { readMaintenance } from "../lib/maintenance/state";
import { markDraining } from "../lib/server/draining";
import { stopTracing } from "../lib/tracing/start";
import { metrics } from "../lib/server/metrics";
import { webrtcOptions } from "../lib/voice/webrtc-options";
import { gatewayProcessCount } from "./cluster/processes";
import { runPrimary } from "./cluster/primary";
import { startWorker, workerSlot, type GatewayWorker } from "./cluster/worker";

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
const processes = gatewayProcessCount({
  setting: settings.server.processes,
  nodeEnv: processEnv().NODE_ENV,
  cores: os.availableParallelism(),
});
/** This process's slot among the primary's workers; undefined for a gateway on its own. */
const slot = workerSlot(processEnv());

async function main(): Promise<void> {
  const root = path.resolve(import.meta.dirname, "..");
  const app = next({ dev, dir: root, hostname: settings.server.host, port: settings.server.port });
  await app.prepare();
  const nextHandle = app.getRequestHandler();
  const nextUpgrade = app.getUpgradeHandler();
  registerDbMetrics({ db, migrationsDir: path.join(root, "prisma", "migrations"), log });

  let shuttingDown = false;
  let worker: GatewayWorker | undefined;
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
    routes: async (req, res, url, principal) =>
      (await serveSessionEvents(req, res, url, principal, settings.redis.url)) ||
      serveSessionMessage(req, res, url, principal),
    methods: methodTable(CONTRACTS),
    maintenance: () => readMaintenance(redis()),
    // Under a primary, /metrics is every worker's added up (Prometheus scrapes the one port).
    metricsText: () => (worker ? worker.metricsText() : metrics().registry.metrics()),
    processInfo: { pid: process.pid, ...(slot === undefined ? {} : { worker: slot }) },
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
  if (slot !== undefined)
    worker = startWorker({ slot, server, io: sockets.io, registry: metrics().registry, log });
  server.on("upgrade", (req, socket, head) => {
    if (req.url?.startsWith("/socket.io")) return; // socket.io handles its own upgrades
    void nextUpgrade(req, socket, head);
  });

  const tools = await startToolRuntime(log);
  // Settings saved on any gateway are applied here too (models, speech, agent).
  await followSettingsChanges(settings.redis.url, log);
  // Every gateway sweeps for turns whose gateway died, whether or not it runs turns itself.
  const turnManager = turns();

  if (worker) {
    // The primary owns the port and hands this worker its connections.
    await worker.serve();
    log.info(
      { worker: worker.slot, ui: settings.server.ui, bus: settings.bus.transport },
      "gateway worker ready",
    );
  } else {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(settings.server.port, settings.server.host, () => resolve());
    });
    log.info(
      {
        port: settings.server.port,
        dev,
        ui: settings.server.ui,
        bus: settings.bus.transport,
        processes: processes.reason,
      },
      "gateway listening",
    );
  }

  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    markDraining();
    log.info(
      { signal, runningTurns: turnManager.active.size },
      "shutting down: no new connections, turns or calls; finishing running turns and in-flight requests",
    );
    const closeServer = () => new Promise<void>((resolve) => server.close(() => resolve()));
    // A worker's connections were handed to it, not accepted by its server, which would emit
    // "close" at once, and socket.io would close every socket with it: closed once they are gone.
    const closed = worker ? worker.drained().then(closeServer) : closeServer();
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
  worker?.onDrain(() => void shutdown("primary stopping"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}

if (cluster.isPrimary && processes.count > 1) {
  try {
    runPrimary({
      count: processes.count,
      port: settings.server.port,
      host: settings.server.host,
      log,
      webrtcPorts: webrtcOptions().portRange,
      // The workers' own bounds (turns, then requests) and time to close their clients.
      drainBoundMs: settings.server.drainTimeoutMs + settings.server.shutdownGraceMs + 15_000,
    });
  } catch (err) {
    log.fatal({ err }, "gateway failed to start");
    process.exit(78); // EX_CONFIG: what stops it is the configuration (the WebRTC port range)
  }
} else {
  main().catch((err: unknown) => {
    log.fatal({ err }, "gateway failed to start");
    process.exit(1);
  });
}
