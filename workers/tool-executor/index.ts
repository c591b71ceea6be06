// Tool executor process: consumes tool requests (Kafka consumer group or BullMQ worker), runs each
// through lib/executor/process-request.ts with bounded concurrency, and serves /healthz, /readyz
// and /metrics on executor.healthPort. SIGTERM: stop taking work, finish what runs, close clients.
import "./tracing"; // first: the SDK (when configured) starts before anything else loads
import http from "node:http";
import { loadConfigOrExit } from "../../server/config";
import { processEnv, readSecret } from "../../lib/config/env";
import { configureLogger, logger } from "../../lib/server/logger";
import { createBus } from "../../lib/bus";
import { db } from "../../lib/server/db";
import { redis } from "../../lib/server/redis";
import { loadSecretStore } from "../../lib/secrets/store";
import { createMasker } from "../../lib/secrets/mask";
import { ToolHost } from "../../lib/executor/tool-host";
import { newExecutorId, startHeartbeat } from "../../lib/executor/heartbeat";
import {
  adoptMountedWorkspaces,
  processToolRequest,
  unmountIdleWorkspaces,
  workspaceRoot,
} from "../../lib/executor/process-request";
import { startWorkspaceSweeper } from "../../lib/executor/workspace-sweeper";
import { createExecutorMetrics } from "../../lib/executor/metrics";
import { consumerLagReader } from "../../lib/executor/consumer-lag";
import { resultDelivery } from "../../lib/executor/deliver-result";
import { runChecks } from "../../lib/server/readiness";
import { onShutdown } from "../shutdown";
import { stopTracing } from "../../lib/tracing/start";
import { channelHub } from "../../lib/realtime/channel-hub";
import { TOOL_CANCEL_CHANNEL } from "../../lib/tool-calls/cancel";
import { getConfig } from "../../lib/config";
import { followSettingsChanges } from "../../lib/settings/reload-listener";
import { checkSandbox } from "../../lib/sandbox/self-check";
import { probeWorkspaceQuota } from "../../lib/sandbox/workspace-quota";
import { WorkspaceSpares } from "../../lib/sandbox/workspace-spares";
import { cgroupLayout } from "../../lib/sandbox/cgroup";
import { policyMirror } from "../../lib/policy/in-process";

const config = loadConfigOrExit("tool-executor");
const { settings } = config;
configureLogger({ level: settings.server.logLevel, name: "tool-executor" });
const secrets = loadSecretStore({
  env: processEnv(),
  tenants: config.tenants,
  ...(settings.executor.secretsFile ? { file: settings.executor.secretsFile } : {}),
});
const masker = createMasker(secrets.all());
// Every log line passes through the masker, so a secret that reaches a message or error is hidden.
const log = logger().child({}, { formatters: { log: (obj) => masker.deep(obj) } });

// Every code tool runs in the sandbox: if it cannot work here (no root to switch users, no user
// namespaces in a container), refuse to start and say why, rather than fail every such call.
const sandbox = await checkSandbox({
  uid: settings.executor.sandboxUidBase,
  workspaceRoot: workspaceRoot(settings),
  tmpBytes: settings.executor.sandboxTmpMb * 1024 * 1024,
});
if (!sandbox.ok) {
  // stderr too: a log transport may not flush before exit, and this is the line an operator needs.
  process.stderr.write(
    `tool-executor: the tool sandbox does not work here, not starting: ${sandbox.reason}\n`,
  );
  log.fatal({ reason: sandbox.reason }, "the tool sandbox does not work here, not starting");
  process.exit(78); // EX_CONFIG, like an invalid configuration
}
log.info({ ms: sandbox.ms }, "sandbox self-check passed");
const cgroups = cgroupLayout();
if (cgroups.version === 0)
  log.warn(
    { reason: cgroups.reason },
    "no per-call cgroup: sandbox memory is bounded only by rlimits (docs/sandbox.md)",
  );
else log.info({ cgroupVersion: cgroups.version }, "per-call cgroups available");
// A workspace quota needs loop mounts (root, /dev/loop-control, e2fsprogs). Without them the executor
// still runs, with plain workspace directories as before, and says so once here.
// Probed even when executor.workspaceMaxMb is 0: images made earlier stay their sessions' workspaces.
const quotaProbe = await probeWorkspaceQuota(workspaceRoot(settings));
const workspaceQuota = quotaProbe.ok;
// Sessions' first workspaces made ahead of time (lib/sandbox/workspace-spares.ts).
const spares = workspaceQuota ? new WorkspaceSpares(workspaceRoot(settings), log) : undefined;
if (spares) {
  const swept = await spares.sweep();
  if (swept) log.info({ swept }, "removed spare workspaces left by a stopped executor");
  if (settings.executor.workspaceMaxMb > 0) spares.refill(settings.executor.workspaceMaxMb);
}
if (quotaProbe.ok)
  log.info(
    {
      ms: quotaProbe.ms,
      maxMb: settings.executor.workspaceMaxMb,
      // Left mounted by an executor that was killed: this one unmounts them when idle or stopping.
      adopted: adoptMountedWorkspaces(settings),
    },
    "workspace quota available",
  );
else if (settings.executor.workspaceMaxMb > 0)
  log.warn(
    { reason: quotaProbe.reason },
    "NO workspace quota on this host: executor.workspaceMaxMb is not enforced, and a session can " +
      "fill the disk under executor.workspaceRoot",
  );
const executorId = newExecutorId();
const bus = createBus(settings, `${settings.kafka.clientId}-executor`);
const host = new ToolHost();
host.start();
// Tool decisions come from an in-process mirror of OPA's policies once it has compiled them.
if (settings.opa.binary) policyMirror(settings.opa.url, settings.opa.binary).start();

const lag = consumerLagReader(settings);
const metrics = createExecutorMetrics(() => lag.read());
const stopSweeper = startWorkspaceSweeper(
  db(),
  workspaceRoot(settings),
  settings.executor.workspaceSweepMs,
  log,
);
const idleUnmounts = setInterval(() => {
  void unmountIdleWorkspaces(settings, log);
}, settings.executor.workspaceSweepMs);
idleUnmounts.unref();
const stopHeartbeat = startHeartbeat(redis(), executorId);
const deliver = resultDelivery({
  route: settings.executor.resultRoute,
  bus,
  callbackUrl: settings.executor.callbackUrl,
  ...(readSecret("SOMA_INTERNAL_CALLBACK_SECRET")
    ? { callbackSecret: readSecret("SOMA_INTERNAL_CALLBACK_SECRET")! }
    : {}),
});

// A stopped turn announces its running calls; the one this executor runs is killed in its sandbox.
const stopCancelListener = await channelHub(settings.redis.url).listen(TOOL_CANCEL_CHANNEL, (message) => {
  const { ids } = JSON.parse(message) as { ids: string[] };
  for (const id of ids) if (host.cancel(id)) log.info({ toolCallId: id }, "tool call cancelled");
});

const stopSettingsListener = await followSettingsChanges(settings.redis.url, log);

let stopping = false;
await bus.consume(
  "tools",
  settings.executor.consumerGroup,
  async (raw, trace) => {
    metrics.inFlight.inc();
    try {
      await processToolRequest(
        raw,
        {
          db: db(),
          redis: redis(),
          bus,
          host,
          executorId,
          // Read per call: settings saved through the API (tool timeout, ...) apply to the next call.
          settings: getConfig().settings,
          tenants: getConfig().tenants,
          secrets,
          masker,
          log,
          workspaceQuota,
          ...(spares ? { spares } : {}),
          deliver,
          observe: (tool, outcome, seconds) => metrics.observe(tool, outcome, seconds),
        },
        trace,
      );
    } finally {
      metrics.inFlight.dec();
    }
  },
  { concurrency: settings.executor.concurrency },
);

const health = http.createServer((req, res) => {
  void (async () => {
    if (req.url === "/healthz")
      return res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
    if (req.url === "/readyz") {
      const r = await runChecks({
        postgres: async () => void (await db().$queryRaw`SELECT 1`),
        redis: async () => void (await redis().ping()),
      });
      const status = stopping ? 503 : r.status === "ok" ? 200 : 503;
      return res
        .writeHead(status, { "content-type": "application/json" })
        .end(JSON.stringify({ ...r, executorId }));
    }
    if (req.url === "/metrics") {
      return res
        .writeHead(200, { "content-type": metrics.registry.contentType })
        .end(await metrics.registry.metrics());
    }
    res.writeHead(404).end();
  })();
});
if (settings.executor.healthPort > 0)
  health.listen(settings.executor.healthPort, settings.executor.healthHost);

log.info(
  {
    transport: bus.transport,
    executorId,
    concurrency: settings.executor.concurrency,
    healthPort: settings.executor.healthPort,
  },
  "tool executor ready",
);
onShutdown(log, [
  async () => {
    stopping = true;
  },
  () => bus.close(), // stops taking work and waits for running handlers
  async () => host.close(),
  async () => {
    clearInterval(idleUnmounts);
    await unmountIdleWorkspaces(settings, log, 0);
    await spares?.close();
  },
  stopCancelListener,
  stopSettingsListener,
  async () => channelHub(settings.redis.url).close(),
  async () => stopSweeper(),
  stopHeartbeat,
  async () => {
    if (settings.opa.binary) policyMirror(settings.opa.url, settings.opa.binary).stop();
  },
  async () => health.close(),
  () => lag.close(),
  () => db().$disconnect(),
  async () => redis().disconnect(),
  () => stopTracing(), // last: the spans of the work finished above, still buffered
]);
