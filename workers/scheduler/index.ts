// Scheduler process: mirrors saved schedules (Postgres) into BullMQ job schedulers and fires them.
import { Queue, Worker } from "bullmq";
import { loadConfigOrExit } from "../../server/config";
import { configureLogger, logger } from "../../lib/server/logger";
import { createRedis } from "../../lib/server/redis";
import { db } from "../../lib/server/db";
import { fireSchedule, SCHEDULE_FIRE, SCHEDULE_QUEUE } from "../../lib/jobs/schedule-fire";
import { onShutdown } from "../shutdown";

const { settings } = loadConfigOrExit("scheduler");
configureLogger({ level: settings.server.logLevel, name: "scheduler" });
const log = logger();
const SYNC_EVERY_MS = 30_000;

const connection = () => createRedis(settings.redis.url, { blocking: true });
const queue = new Queue(SCHEDULE_QUEUE, { connection: connection() });

/** Makes the BullMQ job schedulers match the enabled schedules in Postgres. */
async function sync(): Promise<void> {
  const schedules = await db().schedule.findMany({
    where: { enabled: true, session: { deletedAt: null } },
    select: { id: true, cron: true, timezone: true },
  });
  const wanted = new Set(schedules.map((s) => s.id));
  for (const s of schedules) {
    await queue.upsertJobScheduler(
      s.id,
      { pattern: s.cron, tz: s.timezone },
      { name: SCHEDULE_FIRE, data: { scheduleId: s.id } },
    );
  }
  for (const existing of await queue.getJobSchedulers()) {
    if (existing.key && !wanted.has(existing.key)) await queue.removeJobScheduler(existing.key);
  }
}

const worker = new Worker(
  SCHEDULE_QUEUE,
  async (job) => {
    if (job.name !== SCHEDULE_FIRE) throw new Error(`no handler for job ${job.name}`);
    const fired = await fireSchedule(db(), job.data);
    log.info({ jobId: job.id, ...(fired ?? { skipped: true }) }, "schedule fired");
  },
  { connection: connection(), concurrency: 2 },
);
worker.on("failed", (job, err) => log.error({ jobId: job?.id, err }, "schedule job failed"));
worker.on("error", () => undefined);

await worker.waitUntilReady();
await sync().catch((err: unknown) => log.error({ err }, "schedule sync failed"));
const timer = setInterval(
  () => void sync().catch((err: unknown) => log.error({ err }, "schedule sync failed")),
  SYNC_EVERY_MS,
);
log.info("scheduler ready");
onShutdown(log, [
  async () => clearInterval(timer),
  () => worker.close(),
  () => queue.close(),
  () => db().$disconnect(),
]);
