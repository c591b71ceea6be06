// Backup metrics on the scheduler's registry: whether the scheduled backups succeed, and when the
// newest one finished (read from the store at start, so a restarted scheduler still knows). The
// alerts BackupFailed and BackupTooOld (deploy/prometheus/alerts.yml) watch them.
import client from "prom-client";
import { metrics } from "../server/metrics";
import { singleton } from "../singleton";
import { nextCronRun } from "../schedules/cron";
import { backupTime } from "./manifest";
import type { BackupStore } from "./store";

export function backupMetrics() {
  return singleton("backup-metrics", () => {
    const registers = [metrics().registry];
    const runs = new client.Counter({
      name: "somaagent_backup_runs_total",
      help: "Scheduled backups (backup.run) by outcome: succeeded or failed",
      labelNames: ["outcome"] as const,
      registers,
    });
    // Both outcomes exist from the start, so increase() sees the first failure.
    runs.inc({ outcome: "succeeded" }, 0);
    runs.inc({ outcome: "failed" }, 0);
    const lastSuccess = new client.Gauge({
      name: "somaagent_backup_last_success_timestamp_seconds",
      help: "When the newest finished backup in backup.target was taken (Unix seconds); 0 while there is none",
      registers,
    });
    const seen = (at: Date) => {
      const s = at.getTime() / 1000;
      // Another scheduler may have reported a newer one to this store: never move backwards.
      if (!(s <= (lastSuccessValue ?? 0))) lastSuccess.set((lastSuccessValue = s));
    };
    let lastSuccessValue: number | undefined;
    const interval = new client.Gauge({
      name: "somaagent_backup_interval_seconds",
      help: "The gap between two scheduled backups on backup.schedule (0 while backups are off)",
      registers,
    });
    return {
      /** backup.schedule as applied: the alert's idea of "too old" follows it. */
      scheduled(schedule: string, timezone: string, now = new Date()) {
        if (!schedule.trim()) return interval.set(0);
        const first = nextCronRun(schedule, timezone, now);
        interval.set((nextCronRun(schedule, timezone, first).getTime() - first.getTime()) / 1000);
      },
      succeeded(id: string) {
        runs.inc({ outcome: "succeeded" });
        seen(backupTime(id) ?? new Date());
      },
      failed: () => runs.inc({ outcome: "failed" }),
      /** The newest finished backup already in the store, if any. */
      async readStore(store: BackupStore) {
        for (const b of await store.list()) {
          const at = b.finished ? backupTime(b.id) : null;
          if (at) seen(at);
        }
      },
    };
  });
}
