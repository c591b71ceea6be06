// The scheduler's backup metrics: the last success read from the store (finished backups only,
// never moving back), failures counted, the interval from backup.schedule.
import { beforeEach, describe, expect, it } from "vitest";
import { backupMetrics } from "@/lib/backup/metrics";
import type { BackupStore } from "@/lib/backup/store";
import { metrics } from "@/lib/server/metrics";

const value = async (name: string, labels: Record<string, string> = {}) => {
  const metric = (await metrics().registry.getMetricsAsJSON()).find((m) => m.name === name);
  return metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
};

const storeOf = (backups: { id: string; finished: boolean }[]): BackupStore =>
  ({ location: "test", list: async () => backups }) as unknown as BackupStore;

const at = (iso: string) => new Date(iso).getTime() / 1000;

describe("backup metrics", () => {
  beforeEach(() => metrics().registry.resetMetrics());

  it("takes the newest finished backup in the store, ignoring unfinished ones and other names", async () => {
    await backupMetrics().readStore(
      storeOf([
        { id: "somaagent-20261201T020000Z", finished: true },
        { id: "somaagent-20261203T020000Z", finished: false }, // a run that died
        { id: "somaagent-20261202T020000Z", finished: true },
        { id: "notes", finished: true },
      ]),
    );
    expect(await value("somaagent_backup_last_success_timestamp_seconds")).toBe(at("2026-12-02T02:00:00Z"));
    // An older one reported later (another scheduler's store listing) does not move it back.
    backupMetrics().succeeded("somaagent-20261130T020000Z");
    expect(await value("somaagent_backup_last_success_timestamp_seconds")).toBe(at("2026-12-02T02:00:00Z"));
    backupMetrics().succeeded("somaagent-20261204T020000Z");
    expect(await value("somaagent_backup_last_success_timestamp_seconds")).toBe(at("2026-12-04T02:00:00Z"));
    expect(await value("somaagent_backup_runs_total", { outcome: "succeeded" })).toBe(2);
  });

  it("counts failures", async () => {
    backupMetrics().failed();
    expect(await value("somaagent_backup_runs_total", { outcome: "failed" })).toBe(1);
  });

  it("reads the interval from backup.schedule, and reads 0 when backups are off", async () => {
    backupMetrics().scheduled("0 3 * * *", "UTC", new Date("2026-12-03T12:00:00Z"));
    expect(await value("somaagent_backup_interval_seconds")).toBe(86_400);
    backupMetrics().scheduled("*/15 * * * *", "Europe/Lisbon", new Date("2026-12-03T12:00:00Z"));
    expect(await value("somaagent_backup_interval_seconds")).toBe(900);
    backupMetrics().scheduled("", "UTC");
    expect(await value("somaagent_backup_interval_seconds")).toBe(0); // the alert reads 0 as off
  });
});
