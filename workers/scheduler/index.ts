// Scheduler process: ticks (schedule.tick: claim due schedules, queue their runs, record finished
// ones), fires runs (schedule.fire: the owner's agent turn, run here like a gateway runs a typed
// message's turn) and takes backups on backup.schedule (backup.run, lib/backup). Any number may run side by side: claims are atomic in Postgres (docs/schedules.md).
// /healthz and /metrics (turns, tool round trips, budget refusals, process) on scheduler.metricsPort.
import "./tracing"; // first: the SDK (when configured) starts before anything else loads
import http from "node:http";
import { Queue, Worker } from "bullmq";
import { loadConfigOrExit } from "../../server/config";
import { configureLogger, logger } from "../../lib/server/logger";
import { createRedis } from "../../lib/server/redis";
import { db } from "../../lib/server/db";
import { redis } from "../../lib/server/redis";
import { turns } from "../../lib/agent/turns";
import { startToolRuntime } from "../../lib/tool-calls/runtime";
import { followSettingsChanges } from "../../lib/settings/reload-listener";
import { handlerTable, type JobHandler } from "../../lib/jobs/registry";
import { fireRun, SCHEDULE_FIRE, SCHEDULE_QUEUE } from "../../lib/jobs/schedule-fire";
import { SCHEDULE_TICK, tick } from "../../lib/jobs/schedule-tick";
import { BACKUP_RUN, readBackupStore, runBackup, syncBackupSchedule } from "../../lib/jobs/backup-run";
import { getConfig } from "../../lib/config";
import { channelHub } from "../../lib/realtime/channel-hub";
import { RUN_QUEUED_CHANNEL } from "../../lib/schedules/service";
import { onShutdown } from "../shutdown";
import { stopTracing } from "../../lib/tracing/start";
import { runChecks } from "../../lib/server/readiness";
import { metrics } from "../../lib/server/metrics";
import { backupMetrics } from "../../lib/backup/metrics";
import { ATTR, withSpan } from "../../lib/tracing/spans";

const { settings } = loadConfigOrExit("scheduler");
configureLogger({ level: settings.server.logLevel, name: "scheduler" });
const log = logger();
const conf = settings.scheduler;

const connection = () => createRedis(settings.redis.url, { blocking: true });
const queue = new Queue(SCHEDULE_QUEUE, { connection: connection() });
queue.on("error", (err) => log.warn({ err: err.message }, "schedule queue connection error"));

/** Hands a queued run to schedule.fire; its id is the job id, so a run is queued once at a time. */
async function enqueueRun(runId: string): Promise<void> {
  await queue.add(
    SCHEDULE_FIRE,
    { runId },
    {
      jobId: `run-${runId}`,
      attempts: conf.maxAttempts,
      backoff: { type: "exponential", delay: conf.retryBackoffMs },
      removeOnComplete: true,
      removeOnFail: true,
    },
  );
}

/** backup.schedule as last applied; a settings change is picked up by the next tick. */
let backupSchedule: string | undefined;
async function followBackupSchedule(): Promise<void> {
  const { schedule, timezone } = getConfig().settings.backup;
  if (`${schedule}|${timezone}` === backupSchedule) return;
  log.info({ job: BACKUP_RUN }, await syncBackupSchedule(queue));
  // Backups on for the first time in this process: the newest one already taken, for the metric.
  if (schedule.trim() && !backupSchedule?.split("|")[0]?.trim())
    await readBackupStore().catch((err: unknown) =>
      log.warn({ err: (err as Error).message, job: BACKUP_RUN }, "could not list backup.target"),
    );
  backupSchedule = `${schedule}|${timezone}`;
}

const handlers: JobHandler[] = [
  {
    name: SCHEDULE_TICK,
    handle: async () => {
      await followBackupSchedule().catch((err: unknown) =>
        log.error({ err: (err as Error).message, job: BACKUP_RUN }, "could not apply backup.schedule"),
      );
      const r = await tick(db(), enqueueRun);
      if (r.claimed || r.finished) log.info(r, "schedule tick");
      return r;
    },
  },
  {
    name: SCHEDULE_FIRE,
    // Each firing starts a trace: its turn, model calls and tool calls are the run's descendants.
    handle: (data, attempt) =>
      withSpan(
        "schedule.fire",
        { kind: "consumer", parent: null, attributes: { [ATTR.attempt]: attempt.made + 1 } },
        async (span) => {
          const outcome = await fireRun(db(), data, attempt);
          span.set({
            [ATTR.scheduleRunId]: outcome.runId,
            [ATTR.scheduleOutcome]: outcome.status,
            ...("turnId" in outcome ? { [ATTR.turnId]: outcome.turnId } : {}),
          });
          log.info(outcome, "schedule run fired");
          return outcome;
        },
      ),
  },
  {
    name: BACKUP_RUN,
    handle: async (data) => {
      try {
        const r = await runBackup(data, log);
        log.info(
          { job: BACKUP_RUN, id: r.id, bytes: r.bytes, durationMs: r.durationMs, deleted: r.deleted },
          "backup taken",
        );
        return r;
      } catch (err) {
        // The operator's alert: no backup this time (the next tick takes a whole new one).
        log.error({ job: BACKUP_RUN, err: (err as Error).message }, "backup failed");
        throw err;
      }
    },
  },
];

let table: ReturnType<typeof handlerTable>;
try {
  table = handlerTable(handlers);
} catch (err) {
  log.fatal({ err: (err as Error).message }, "scheduler not starting");
  process.exit(1);
}

const worker = new Worker(
  SCHEDULE_QUEUE,
  async (job) => {
    const handler = table.get(job.name);
    if (!handler) throw new Error(`no handler for job ${job.name}`); // unknown names never reach here from us
    return handler.handle(job.data, { made: job.attemptsMade, max: conf.maxAttempts });
  },
  // A dead scheduler's jobs go back to the queue within ~20 s (the lock is renewed every 5 s while
  // a turn runs). The run row decides whether it may start again: a run already claimed never is.
  { connection: connection(), concurrency: conf.concurrency, lockDuration: 10_000, stalledInterval: 10_000 },
);
worker.on("failed", (job, err) =>
  log.warn(
    { jobId: job?.id, job: job?.name, attemptsMade: job?.attemptsMade, err: err.message },
    "job failed",
  ),
);
worker.on("error", (err) => log.warn({ err: err.message }, "schedule worker connection error"));

const tools = await startToolRuntime(log);
await followSettingsChanges(settings.redis.url, log);
await worker.waitUntilReady();
// "Run now" from the API: queue that run at once (every scheduler hears it; the job id keeps it one job).
const hub = channelHub(settings.redis.url);
await hub.listen(RUN_QUEUED_CHANNEL, (runId) => {
  enqueueRun(runId).catch((err: unknown) =>
    log.warn({ err: (err as Error).message, runId }, "could not queue a run now; the next tick will"),
  );
});
// Job schedulers from before runs were claimed in Postgres fired schedule.fire per schedule: remove them.
for (const js of await queue.getJobSchedulers())
  if (js.key !== SCHEDULE_TICK && js.key !== BACKUP_RUN) await queue.removeJobScheduler(js.key);
await queue.upsertJobScheduler(SCHEDULE_TICK, { every: conf.tickMs }, { name: SCHEDULE_TICK, data: {} });
await followBackupSchedule();
// One tick now: fires missed while no scheduler ran are due at once (as one run each).
await tick(db(), enqueueRun).catch((err: unknown) => log.error({ err }, "start-up tick failed"));

const registry = metrics().registry;
backupMetrics(); // the backup series exist from the start, failures counted from 0
// /healthz (the process answers), /readyz (Postgres, Redis, the worker taking jobs) for compose's
// health check and the kubelet's probes, and /metrics for Prometheus, on scheduler.metricsPort.
let stopping = false;
const health = http.createServer((req, res) => {
  void (async () => {
    if (req.url === "/healthz")
      return res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
    if (req.url === "/metrics")
      return res.writeHead(200, { "content-type": registry.contentType }).end(await registry.metrics());
    if (req.url === "/readyz") {
      const r = await runChecks({
        postgres: async () => void (await db().$queryRaw`SELECT 1`),
        redis: async () => void (await redis().ping()),
        worker: async () => {
          if (!worker.isRunning()) throw new Error("the schedule worker is not running");
        },
      });
      return res
        .writeHead(stopping ? 503 : r.status === "ok" ? 200 : 503, { "content-type": "application/json" })
        .end(JSON.stringify(r));
    }
    res.writeHead(404).end();
  })().catch((err: unknown) => {
    log.warn({ err: (err as Error).message, url: req.url }, "health or metrics request failed");
    if (!res.headersSent) res.writeHead(500).end();
  });
});
if (conf.metricsPort > 0) {
  // A port already taken is worth knowing at once: Prometheus would report the scheduler down.
  await new Promise<void>((resolve, reject) => {
    health.once("error", reject);
    health.listen(conf.metricsPort, conf.metricsHost, () => resolve());
  }).catch((err: unknown) => {
    log.fatal(
      { err: (err as Error).message, port: conf.metricsPort },
      "scheduler not starting: metrics port",
    );
    process.exit(1);
  });
}
log.info(
  { tickMs: conf.tickMs, concurrency: conf.concurrency, metricsPort: conf.metricsPort },
  "scheduler ready",
);

onShutdown(log, [
  async () => {
    stopping = true;
  },
  // Turns being run stop (recorded interrupted, like a gateway's), so their jobs end and the worker closes.
  async () => {
    const closing = worker.close();
    await turns().shutdown();
    await closing;
  },
  () => tools.close(),
  async () => hub.close(),
  () => queue.close(),
  async () => health.close(),
  () => db().$disconnect(),
  async () => redis().disconnect(),
  () => stopTracing(), // last: the spans of the work finished above, still buffered
]);
