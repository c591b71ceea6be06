// Backups' pure parts: ids and their times, retention, the manifest's checks (format, schema), the
// database URL kept out of messages, where `make restore FROM=…` looks, and the backup.* settings.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "@/lib/config";
import { backupIdAt, backupTime, MANIFEST_FORMAT, parseManifest } from "@/lib/backup/manifest";
import { backupsToDelete } from "@/lib/backup/retention";
import { schemaProblem } from "@/lib/backup/schema";
import { pgTarget, redactUrl } from "@/lib/backup/postgres";
import { parseS3Url } from "@/lib/backup/s3-store";
import { locateBackup, RestoreRefused } from "@/lib/backup/restore-backup";

const root = path.resolve(import.meta.dirname, "../..");
const config = (env: Record<string, string> = {}) => loadConfig({ root, env });
const day = 86_400_000;
const now = new Date("2026-12-03T12:00:00Z");
const idDaysAgo = (d: number) => backupIdAt(new Date(now.getTime() - d * day));

describe("backup ids", () => {
  it("sort by time and give it back", () => {
    const id = backupIdAt(new Date("2026-12-03T10:15:00.123Z"));
    expect(id).toBe("somaagent-20261203T101500Z");
    expect(backupTime(id)?.toISOString()).toBe("2026-12-03T10:15:00.000Z");
    expect(backupTime(`${id}-2`)?.toISOString()).toBe("2026-12-03T10:15:00.000Z");
    expect(backupTime("holiday-photos")).toBeNull();
  });
});

describe("retention", () => {
  const finished = (...days: number[]) => days.map((d) => ({ id: idDaysAgo(d), finished: true }));

  it("keeps the newest keepCount", () => {
    const doomed = backupsToDelete(finished(0, 1, 2, 3, 4), { keepCount: 3, keepDays: 0 }, now);
    expect(doomed).toEqual([idDaysAgo(3), idDaysAgo(4)]);
  });

  it("deletes those older than keepDays", () => {
    const doomed = backupsToDelete(finished(0, 5, 31, 40), { keepCount: 0, keepDays: 30 }, now);
    expect(doomed).toEqual([idDaysAgo(31), idDaysAgo(40)]);
  });

  it("applies both, and never deletes the newest finished one, however old", () => {
    expect(backupsToDelete(finished(50, 60), { keepCount: 1, keepDays: 30 }, now)).toEqual([idDaysAgo(60)]);
    expect(backupsToDelete(finished(1, 2), { keepCount: 0, keepDays: 0 }, now)).toEqual([]);
  });

  it("removes unfinished backups once a day old, leaves one being written, and never touches other names", () => {
    const backups = [
      ...finished(0),
      { id: idDaysAgo(2), finished: false },
      { id: backupIdAt(new Date(now.getTime() - 60_000)), finished: false },
      { id: "somaagent-manual-copy", finished: true },
    ];
    expect(backupsToDelete(backups, { keepCount: 1, keepDays: 0 }, now)).toEqual([idDaysAgo(2)]);
  });

  it("counts unfinished ones out of keepCount (a failed run must not push a good backup out)", () => {
    const backups = [{ id: idDaysAgo(0), finished: false }, ...finished(1, 2)];
    expect(backupsToDelete(backups, { keepCount: 2, keepDays: 0 }, now)).toEqual([]);
  });
});

const manifest = {
  format: 1,
  id: "somaagent-20261203T101500Z",
  createdAt: "2026-12-03T10:15:00.000Z",
  durationMs: 1234,
  host: "h",
  app: { version: "0.1.0", node: "24.0.0" },
  schema: { migrations: ["20261127092301_init"], latest: "20261127092301_init" },
  postgres: {
    server: "15.18",
    pgDump: "pg_dump (PostgreSQL) 15.18",
    database: "h:1/db",
    openfgaDatabase: null,
  },
  openfga: { storeName: "s", storeId: null, modelId: null, tuples: 0 },
  kafka: null,
  settings: { scope: "default", fileMtimeMs: null },
  files: [{ name: "database.dump", bytes: 3, sha256: "a".repeat(64) }],
};

describe("the manifest", () => {
  it("reads what this release writes", () => {
    expect(parseManifest(JSON.stringify(manifest)).id).toBe(manifest.id);
  });

  it("refuses a newer format, naming the release to use", () => {
    expect(() => parseManifest(JSON.stringify({ ...manifest, format: MANIFEST_FORMAT + 1 }))).toThrow(
      /format 2; this release reads format 1 and older: restore with the release that took it/,
    );
  });

  it("refuses one that is not JSON or not a manifest, saying which field", () => {
    expect(() => parseManifest("{")).toThrow(/not JSON/);
    expect(() =>
      parseManifest(
        JSON.stringify({ ...manifest, files: [{ name: "../../etc/passwd", bytes: 1, sha256: "x" }] }),
      ),
    ).toThrow(/files\.0\.name/);
  });
});

describe("the schema check", () => {
  const shipped = ["20261127092301_init", "20261203040000_schedules_run"];

  it("restores a backup as old as the code or older (newer migrations are applied after)", () => {
    expect(schemaProblem(["20261127092301_init"], shipped, "0.1.0")).toBeNull();
    expect(schemaProblem(shipped, shipped, "0.1.0")).toBeNull();
  });

  it("refuses one with a migration this code does not know, naming it and the release", () => {
    expect(schemaProblem([...shipped, "20270101000000_new"], shipped, "0.2.0")).toBe(
      "the backup's database has 1 migration this code does not know (20270101000000_new): it is from a newer schema. " +
        "Restore it with the release that took it (app version 0.2.0) or newer",
    );
  });
});

describe("database URLs", () => {
  it("give the tools their password in PGPASSWORD, and messages none", () => {
    const t = pgTarget("postgresql://soma:s%40cret@db.example:6543/somaagent?sslmode=require&schema=public");
    expect(t.label).toBe("db.example:6543/somaagent");
    expect(t.env).toEqual({
      PGHOST: "db.example",
      PGPORT: "6543",
      PGDATABASE: "somaagent",
      PGUSER: "soma",
      PGPASSWORD: "s@cret",
      PGSSLMODE: "require",
    });
    expect(redactUrl("postgresql://soma:s%40cret@db.example/x")).not.toContain("cret");
    expect(() => pgTarget("postgresql://soma:pw@db.example:5432/")).toThrow(/names no database/);
    expect(() => pgTarget("postgresql://soma:pw@db.example:5432/")).not.toThrow(/pw/);
  });
});

describe("where a restore looks", () => {
  it("an id or latest in backup.target; a path or s3 URL ends with the backup's id", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "soma-backups-"));
    try {
      for (const [id, done] of [
        ["somaagent-20261201T000000Z", true],
        ["somaagent-20261202T000000Z", true],
        ["somaagent-20261203T000000Z", false], // unfinished: never "latest"
      ] as const) {
        fs.mkdirSync(path.join(dir, id));
        if (done) fs.writeFileSync(path.join(dir, id, "manifest.json"), "{}");
      }
      const c = config({ SOMA_BACKUP_TARGET: dir });
      const latest = await locateBackup("latest", c, root);
      expect([latest.store.location, latest.id]).toEqual([dir, "somaagent-20261202T000000Z"]);
      expect((await locateBackup("somaagent-20261201T000000Z", c, root)).id).toBe(
        "somaagent-20261201T000000Z",
      );
      const byPath = await locateBackup(`/elsewhere/backups/somaagent-20261201T000000Z/`, c, root);
      expect([byPath.store.location, byPath.id]).toEqual([
        "/elsewhere/backups",
        "somaagent-20261201T000000Z",
      ]);
      const s3 = await locateBackup("s3://bucket/some/prefix/somaagent-20261201T000000Z", c, root);
      expect([s3.store.location, s3.id]).toEqual(["s3://bucket/some/prefix", "somaagent-20261201T000000Z"]);
      await expect(locateBackup("s3://bucket", c, root)).rejects.toBeInstanceOf(RestoreRefused);
      await expect(
        locateBackup("latest", config({ SOMA_BACKUP_TARGET: path.join(dir, "none") }), root),
      ).rejects.toThrow(/there is no finished backup in/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads s3://bucket/prefix", () => {
    expect(parseS3Url("s3://my-bucket/a/b/")).toEqual({ bucket: "my-bucket", prefix: "a/b" });
    expect(parseS3Url("s3://my-bucket")).toEqual({ bucket: "my-bucket", prefix: "" });
    expect(() => parseS3Url("s3://UPPER/x")).toThrow(/not an s3:\/\/bucket\/prefix URL/);
  });
});

describe("backup settings", () => {
  it("default to no schedule, seven backups and thirty days in .services/backups", () => {
    expect(config().settings.backup).toMatchObject({
      schedule: "",
      target: ".services/backups",
      keepCount: 7,
      keepDays: 30,
    });
  });

  it("take a cron schedule in a time zone, and off for OpenFGA's database", () => {
    const c = config({
      SOMA_BACKUP_SCHEDULE: "15 3 * * *",
      SOMA_BACKUP_TIMEZONE: "Europe/Berlin",
      SOMA_BACKUP_OPENFGA_DATABASE_URL: "off",
      SOMA_BACKUP_TARGET: "s3://backups/soma",
    });
    expect(c.settings.backup).toMatchObject({
      schedule: "15 3 * * *",
      timezone: "Europe/Berlin",
      openfgaDatabaseUrl: "off",
    });
  });

  it("refuse a schedule that is not a cron expression, a zone that does not exist, a URL that is not Postgres", () => {
    const problems = (env: Record<string, string>) => {
      try {
        config(env);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).message;
      }
      throw new Error("expected a ConfigError");
    };
    expect(problems({ SOMA_BACKUP_SCHEDULE: "every night" })).toMatch(
      /backup\.schedule.*not a cron expression/,
    );
    expect(problems({ SOMA_BACKUP_TIMEZONE: "Mars/Olympus" })).toMatch(/backup\.timezone/);
    expect(problems({ SOMA_BACKUP_OPENFGA_DATABASE_URL: "mysql://x" })).toMatch(/backup\.openfgaDatabaseUrl/);
    expect(problems({ SOMA_BACKUP_KEEP_COUNT: "-1" })).toMatch(/backup\.keepCount/);
  });
});
