// The database schema a backup holds, as the Prisma migrations applied to it, against those this
// code ships (prisma/migrations). A backup may be older than the code (restore, then the newer
// migrations are applied), never newer: this code would run against tables it does not know.
import { readdirSync } from "node:fs";
import path from "node:path";

export function shippedMigrations(root: string): string[] {
  return readdirSync(path.join(root, "prisma", "migrations"), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** The migrations applied to a database (psql through PgTools, like the dump itself). */
export const APPLIED_MIGRATIONS_SQL = `SELECT coalesce(string_agg(migration_name, ',' ORDER BY migration_name), '')
  FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;

/** Why a backup cannot be restored by this code, or null: its migrations must all be known here. */
export function schemaProblem(backup: string[], shipped: string[], backupVersion: string): string | null {
  const known = new Set(shipped);
  const unknown = backup.filter((m) => !known.has(m));
  if (!unknown.length) return null;
  return (
    `the backup's database has ${unknown.length} migration${unknown.length > 1 ? "s" : ""} this code does not know ` +
    `(${unknown.join(", ")}): it is from a newer schema. Restore it with the release that took it (app version ${backupVersion}) or newer`
  );
}
