// backup.run: the scheduler's backup on backup.schedule (a BullMQ job scheduler with that cron, so
// one job per tick however many schedulers run). The payload is empty; the settings say what to do.
import path from "node:path";
import type { Logger } from "pino";
import type { Queue } from "bullmq";
import { z } from "zod";
import { getConfig } from "../config";
import { createBackup, type BackupResult } from "../backup/create-backup";
import { backupMetrics } from "../backup/metrics";
import { openStore } from "../backup/store";

export const BACKUP_RUN = "backup.run";
export const backupRunPayload = z.object({}).strict();

const root = path.resolve(import.meta.dirname, "../..");

export async function runBackup(data: unknown, log: Logger): Promise<Omit<BackupResult, "manifest">> {
  backupRunPayload.parse(data ?? {});
  try {
    const { manifest: _manifest, ...r } = await createBackup({
      config: getConfig(),
      root,
      progress: (line) => log.info({ job: BACKUP_RUN }, line),
    });
    backupMetrics().succeeded(r.id);
    return r;
  } catch (err) {
    backupMetrics().failed();
    throw err;
  }
}

/** Sets the last-success metric from the backups already in backup.target (a scheduler's start). */
export async function readBackupStore(): Promise<void> {
  const { backup } = getConfig().settings;
  await backupMetrics().readStore(openStore(backup.target, backup, root));
}

/** Puts the job scheduler in line with backup.schedule: set, changed or removed. Returns what it did. */
export async function syncBackupSchedule(queue: Queue): Promise<string> {
  const { schedule, timezone } = getConfig().settings.backup;
  backupMetrics().scheduled(schedule, timezone);
  if (!schedule.trim()) {
    const removed = await queue.removeJobScheduler(BACKUP_RUN);
    return removed
      ? "backups off (backup.schedule is empty): schedule removed"
      : "backups off (backup.schedule is empty)";
  }
  await queue.upsertJobScheduler(
    BACKUP_RUN,
    { pattern: schedule, tz: timezone },
    // One attempt: a failed backup is reported, and the next tick takes a whole new one.
    { name: BACKUP_RUN, data: {}, opts: { attempts: 1, removeOnComplete: 20, removeOnFail: 50 } },
  );
  return `backups on "${schedule}" (${timezone})`;
}
