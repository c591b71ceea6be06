// Migrations apply to an empty database, and the drift check passes on the migrated test database.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { databaseUrl, dropDatabase } from "@/lib/db/scratch-database";
import { migrateDatabase } from "@/lib/jobs/migrations";
import { ROOT, settings } from "../helpers/services";

const run = promisify(execFile);
const scratch = `mig_test_${process.pid}_${Date.now()}`;
const admin = () => new pg.Client({ connectionString: settings().database.url });

afterAll(() => dropDatabase(settings().database.url, scratch));

describe("database migrations", () => {
  it("apply to an empty database and create every core table", async () => {
    const c = admin();
    await c.connect();
    await c.query(`CREATE DATABASE "${scratch}"`);
    await c.end();
    const url = databaseUrl(settings().database.url, scratch);

    const detail = await migrateDatabase(ROOT, url);
    expect(detail).toMatch(/^applied /);
    expect(await migrateDatabase(ROOT, url)).toMatch(/^up to date/);

    const s = new pg.Client({ connectionString: url });
    await s.connect();
    const { rows } = await s.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' order by 1",
    );
    await s.end();
    expect(rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining([
        "tenants",
        "users",
        "api_tokens",
        "sessions",
        "turns",
        "messages",
        "tool_calls",
        "outbox",
        "audit_log",
        "schedules",
        "schedule_runs",
        "memories",
        "usage_records",
      ]),
    );
  });

  it("have no drift: the drift script exits 0 on the migrated test database", async () => {
    const { stdout } = await run("npx", ["tsx", "scripts/db-drift.ts"], { cwd: ROOT, env: process.env });
    expect(stdout).toContain("no drift");
  });
});
