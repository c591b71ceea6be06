// The gauges the gateway reads from Postgres at scrape time (lib/server/db-metrics.ts), against the
// real test database. Each case writes inside a transaction it rolls back, so no relay ever sees
// its rows and the database's migration record is left as it was.
import { cp, mkdtemp, mkdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createDb } from "@/lib/server/db";
import { readMigrationState, readOutboxBacklog } from "@/lib/server/db-metrics";
import { ROOT, settings } from "../helpers/services";

const db = createDb(settings().database.url);
const migrations = path.join(ROOT, "prisma", "migrations");
afterAll(() => db.$disconnect());

class Rollback extends Error {}
/** Runs `fn` in a transaction that is always rolled back, and returns what it returned. */
async function inRollback<T>(fn: (tx: Parameters<Parameters<typeof db.$transaction>[0]>[0]) => Promise<T>) {
  let out: T | undefined;
  await db
    .$transaction(async (tx) => {
      out = await fn(tx);
      throw new Rollback();
    })
    .catch((err: unknown) => {
      if (!(err instanceof Rollback)) throw err;
    });
  return out as T;
}

describe("outbox backlog", () => {
  it("counts pending rows and the oldest one's age; sent rows do not count", async () => {
    const { before, after } = await inRollback(async (tx) => {
      const before = await readOutboxBacklog(tx);
      await tx.$executeRaw`INSERT INTO outbox (topic, key, payload, status, created_at)
        VALUES ('tools', 'k1', '{}', 'pending', now() - interval '10 minutes'),
               ('tools', 'k2', '{}', 'pending', now()),
               ('tools', 'k3', '{}', 'sent', now() - interval '1 day')`;
      return { before, after: await readOutboxBacklog(tx) };
    });
    expect(after.pending).toBe(before.pending + 2);
    // created_at keeps milliseconds (timestamp(3)): now() - 10 minutes may round up by half of one.
    expect(after.oldestAgeSeconds).toBeGreaterThan(599.99);
    expect(after.oldestAgeSeconds).toBeLessThan(86_400); // the day-old row was sent
  });
});

describe("migration state", () => {
  it("is clean for the migrated test database and this checkout's migrations", async () => {
    expect(await readMigrationState(db, migrations)).toEqual({ pending: 0, failed: 0, unknown: 0 });
  });

  it("names a shipped migration the database lacks as pending", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "soma-migrations-"));
    try {
      await cp(migrations, dir, { recursive: true });
      await mkdir(path.join(dir, "29991231000000_not_applied"));
      expect(await readMigrationState(db, dir)).toEqual({ pending: 1, failed: 0, unknown: 0 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("names one the database applied but the build lacks as unknown, and an unfinished one as failed", async () => {
    const state = await inRollback(async (tx) => {
      await tx.$executeRaw`INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, finished_at)
        VALUES ('test-newer', 'x', '29991231000000_from_a_newer_build', now(), now()),
               ('test-broken', 'x', '29991231000001_broken', now(), NULL)`;
      return readMigrationState(tx, migrations);
    });
    // The broken one is neither applied nor shipped: failed only, not unknown.
    expect(state).toEqual({ pending: 0, failed: 1, unknown: 1 });
  });
});
