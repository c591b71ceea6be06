// Backup and restore at size: a database of its own filled with sessions, turns, messages and tool
// calls (generated in Postgres), then `createBackup` and `restoreBackup` (lib/backup) against bare
// pg_dump -Fc and pg_restore of the same database in the same run: what the project adds on top of
// what Postgres itself needs (the OpenFGA store and backfill, migrations check, checksums, caches).
// Figures for docs/operations.md "Backups" (RPO/RTO). OpenFGA's database is left out (off), the
// Kafka topics too; the store it restores into is its own and deleted at the end.
// Usage: npx tsx bench/backup-restore.ts [sessions=2000] [messagesPerSession=50]
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { OpenFgaClient } from "@openfga/sdk";
import { loadConfig } from "../lib/config";
import { createBackup, sizeOf } from "../lib/backup/create-backup";
import { restoreBackup } from "../lib/backup/restore-backup";
import { pgBinDir, PgTools, pgTarget } from "../lib/backup/postgres";
import { migrateDatabase } from "../lib/jobs/migrations";
import { findStore } from "../lib/server/openfga";

const root = path.resolve(import.meta.dirname, "..");
const sessions = Number(process.argv[2] ?? 2000);
const perSession = Number(process.argv[3] ?? 50);
const users = Math.max(1, Math.round(sessions / 20));
const id = randomUUID().slice(0, 8);
const base = loadConfig({ root }).settings.database.url;
const url = (db: string) => Object.assign(new URL(base), { pathname: `/${db}`, search: "" }).toString();
const dbUrl = url(`somaagent_bench_backup_${id}`);
const baselineUrl = url(`somaagent_bench_backup_${id}_bare`);
const storeName = `somaagent-bench-backup-${id}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "soma-bench-backup-"));
const config = loadConfig({
  root,
  env: {
    ...process.env,
    DATABASE_URL: dbUrl,
    SOMA_BACKUP_TARGET: dir,
    SOMA_BACKUP_OPENFGA_DATABASE_URL: "off",
    SOMA_OPENFGA_STORE_NAME: storeName,
    SOMA_KAFKA_ENABLED: "false",
    SOMA_BUS_TRANSPORT: "bullmq",
    SOMA_SETTINGS_FILE: path.join(dir, "settings.json"),
  },
});
const pg = new PgTools(pgBinDir(config.settings.backup.pgBinDir));
const target = pgTarget(dbUrl);
/** A statement on the bench database, or on "postgres" to make and drop databases. */
const sql = (s: string, database?: string) => pg.query(target, s, database);
const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t = Date.now();
  const r = await fn();
  return [r, Date.now() - t];
};

async function fill(): Promise<void> {
  const turns = Math.ceil(perSession / 2);
  await sql(`
    insert into tenants (id, slug, name, updated_at) values (gen_random_uuid(), 'bench', 'Bench', now());
    insert into users (id, tenant_id, email, display_name, role, updated_at)
      select gen_random_uuid(), t.id, 'u' || g || '@bench.local', 'User ' || g, 'member', now()
      from tenants t, generate_series(1, ${users}) g;
    insert into sessions (id, tenant_id, owner_id, title, updated_at)
      select gen_random_uuid(), u.tenant_id, u.id, 'Session ' || g, now()
      from users u, generate_series(1, ${Math.ceil(sessions / users)}) g;
    insert into turns (id, session_id, user_id, status, model, steps, prompt_tokens, completion_tokens, finished_at)
      select gen_random_uuid(), s.id, s.owner_id, 'completed', 'bench-model', 1, 400, 120, now()
      from sessions s, generate_series(1, ${turns}) g;
    insert into messages (id, session_id, turn_id, role, content)
      select gen_random_uuid(), t.session_id, t.id, r.role::"MessageRole",
             r.role || ': ' || repeat(md5(t.id::text || r.role), 8)
      from turns t cross join (values ('user'), ('assistant')) r(role);
    insert into tool_calls (id, session_id, turn_id, tool, arguments, status, result, attempts, completed_at)
      select gen_random_uuid(), t.session_id, t.id, 'code_execution', '{"runtime":"python","code":"print(6*7)"}',
             'succeeded', '{"stdout":"42\\n","exitCode":0}', 1, now()
      from turns t where random() < 0.2;
    insert into memories (id, tenant_id, user_id, content, updated_at)
      select gen_random_uuid(), u.tenant_id, u.id, 'Remember ' || md5(u.id::text || g), now()
      from users u, generate_series(1, 10) g;
    analyze;`);
}

async function main(): Promise<void> {
  await sql(`create database "${target.database}"`, "postgres");
  try {
    await migrateDatabase(root, dbUrl);
    const [, fillMs] = await timed(fill);
    const counts = await sql(
      "select (select count(*) from sessions) || ' sessions, ' || (select count(*) from messages) || ' messages, ' || (select count(*) from tool_calls) || ' tool calls, ' || pg_size_pretty(pg_database_size(current_database()))",
    );
    console.log(`data: ${counts} on disk (generated in ${fillMs} ms)`);

    // Baseline: what Postgres alone needs for the same database.
    const bareDump = path.join(dir, "bare.dump");
    const [, dumpMs] = await timed(() => pg.dump(target, bareDump));
    const bare = pgTarget(baselineUrl);
    await sql(`create database "${bare.database}"`, "postgres");
    const [, pgRestoreMs] = await timed(() => pg.restore(bare, bareDump));
    await sql(`drop database "${bare.database}" with (force)`, "postgres");

    const backupSteps: string[] = [];
    const b = await createBackup({ config, root, progress: (line) => backupSteps.push(line) });
    const r = await restoreBackup({ config, root, from: b.id, replace: true });
    console.log(
      `backup:  ${sizeOf(b.bytes)} in ${b.durationMs} ms  (bare pg_dump -Fc: ${sizeOf(fs.statSync(bareDump).size)} in ${dumpMs} ms)`,
    );
    for (const line of backupSteps.slice(0, -1)) console.log(`  ${line}`);
    console.log(`restore: ${r.durationMs} ms  (bare pg_restore: ${pgRestoreMs} ms)`);
    for (const s of r.steps)
      console.log(`  ${s.name.padEnd(22)} ${String(s.ms).padStart(7)} ms  ${s.detail}`);
  } finally {
    await sql(`drop database if exists "${target.database}" with (force)`, "postgres");
    const storeId = await findStore(config.settings.openfga.apiUrl, storeName);
    if (storeId) await new OpenFgaClient({ apiUrl: config.settings.openfga.apiUrl, storeId }).deleteStore();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
