// Drift check (`make drift`), exit 0 when clean:
//  1. prisma/schema.prisma vs prisma/migrations: a schema change without a migration.
//  2. the live database vs prisma/migrations: a hand-made change (the migrations are applied to a
//     scratch database and both schemas are dumped and compared).
// Exit 2 on drift, 1 on error. (`migrate diff --from-schema-datasource` is not available with
// the driver-adapter CLI, hence the scratch database.)
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { databaseUrl, dropDatabase } from "../lib/db/scratch-database";
import { loadConfigOrExit } from "../server/config";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "..");
const prisma = path.join(root, "node_modules", ".bin", "prisma");
const { settings } = loadConfigOrExit("db-drift");
const env = { ...process.env, CHECKPOINT_DISABLE: "1" };

async function schemaVsMigrations(): Promise<string | null> {
  try {
    await run(
      prisma,
      [
        "migrate",
        "diff",
        "--from-migrations",
        "prisma/migrations",
        "--to-schema-datamodel",
        "prisma/schema.prisma",
        "--exit-code",
        "--script",
      ],
      { cwd: root, env },
    );
    return null;
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (e.code === 2)
      return `prisma/schema.prisma has changes without a migration (run: npx prisma migrate dev):\n${e.stdout ?? ""}`;
    throw new Error(`migrate diff failed: ${e.stderr ?? e.stdout ?? String(err)}`, { cause: err });
  }
}

async function dumpSchema(url: string): Promise<string> {
  const u = new URL(url);
  const { stdout } = await run(
    "pg_dump",
    [
      "--schema-only",
      "--no-owner",
      "--no-privileges",
      "--exclude-table=_prisma_migrations",
      "-d",
      u.toString(),
    ],
    { env, maxBuffer: 32 * 1024 * 1024 },
  );
  return stdout
    .split("\n")
    .filter(
      (l) =>
        l.trim() !== "" &&
        !l.startsWith("--") &&
        !l.startsWith("SET ") &&
        !l.startsWith("SELECT pg_catalog.set_config") &&
        !l.startsWith("\\"),
    )
    .join("\n");
}

async function databaseVsMigrations(): Promise<string | null> {
  const scratch = `drift_check_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: settings.database.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${scratch}"`);
  const scratchUrl = databaseUrl(settings.database.url, scratch);
  try {
    await run(prisma, ["migrate", "deploy"], {
      cwd: root,
      env: { ...env, DATABASE_URL: scratchUrl },
    });
    const [live, expected] = await Promise.all([dumpSchema(settings.database.url), dumpSchema(scratchUrl)]);
    if (live === expected) return null;
    const liveLines = new Set(live.split("\n"));
    const expectedLines = new Set(expected.split("\n"));
    const extra = [...liveLines].filter((l) => !expectedLines.has(l)).map((l) => `+ ${l}`);
    const missing = [...expectedLines].filter((l) => !liveLines.has(l)).map((l) => `- ${l}`);
    return `the database differs from prisma/migrations (+ only in the database, - only in the migrations):\n${[...extra, ...missing].join("\n")}`;
  } finally {
    await admin.end();
    // A scratch database left behind does not change the answer: warn, do not fail the check.
    await dropDatabase(settings.database.url, scratch).catch((err: unknown) =>
      console.warn(`⚠ the scratch database ${scratch} could not be dropped (${(err as Error).message})`),
    );
  }
}

try {
  const problems = [await schemaVsMigrations(), await databaseVsMigrations()].filter(
    (p): p is string => p !== null,
  );
  if (problems.length) {
    for (const p of problems) console.error(`✘ drift: ${p}`);
    process.exit(2);
  }
  console.log("✔ no drift: schema.prisma, prisma/migrations and the database agree");
} catch (err) {
  console.error(`✘ drift check failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
