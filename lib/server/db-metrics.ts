// Gauges read from Postgres when /metrics is scraped (one query each, so a scrape sees the database
// as it is now): the outbox backlog (work a broker outage is holding back) and migration drift
// (the migrations this build ships against those the database has recorded). A failed read sets
// NaN: unknown, which no alert compares true against (the failing database shows in /readyz).
import { readdir } from "node:fs/promises";
import client from "prom-client";
import type { Logger } from "pino";
import type { Db } from "./db";
import { metrics } from "./metrics";
import { singleton } from "../singleton";

export interface OutboxBacklog {
  pending: number;
  /** Seconds the oldest pending row has waited; 0 with none pending. */
  oldestAgeSeconds: number;
}

/** Anything that runs raw SQL: the client, or a transaction (the tests read inside one). */
type Sql = Pick<Db, "$queryRaw">;

export async function readOutboxBacklog(db: Sql): Promise<OutboxBacklog> {
  const [row] = await db.$queryRaw<{ pending: bigint; oldest: number | null }[]>`
    SELECT count(*) AS pending, extract(epoch FROM now() - min(created_at))::float8 AS oldest
    FROM outbox WHERE status = 'pending'`;
  return { pending: Number(row?.pending ?? 0), oldestAgeSeconds: Math.max(0, row?.oldest ?? 0) };
}

export interface MigrationState {
  /** Shipped with this build, not (successfully) applied to the database. */
  pending: number;
  /** Started and neither finished nor rolled back: a failed `migrate deploy`. */
  failed: number;
  /** Applied to the database, unknown to this build (an older build against a newer database). */
  unknown: number;
}

export async function readMigrationState(db: Sql, migrationsDir: string): Promise<MigrationState> {
  const shipped = (await readdir(migrationsDir, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
  const rows = await db.$queryRaw<{ name: string; finished: boolean; rolled_back: boolean }[]>`
    SELECT migration_name AS name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back
    FROM _prisma_migrations`;
  const applied = new Set(rows.filter((r) => r.finished && !r.rolled_back).map((r) => r.name));
  const known = new Set(shipped);
  return {
    pending: shipped.filter((name) => !applied.has(name)).length,
    failed: rows.filter((r) => !r.finished && !r.rolled_back).length,
    unknown: [...applied].filter((name) => !known.has(name)).length,
  };
}

/** Registers the gauges on the gateway's registry (once per process). */
export function registerDbMetrics(opts: { db: () => Db; migrationsDir: string; log: Logger }): void {
  singleton("db-metrics", () => {
    const registers = [metrics().registry];
    const warn = (what: string, err: unknown) =>
      opts.log.warn(
        { err: err instanceof Error ? err.message : String(err) },
        `metrics: could not read ${what}`,
      );
    // Both outbox gauges come from one read per scrape (prom-client collects metrics concurrently).
    let read: { at: number; backlog: Promise<OutboxBacklog | null> } | undefined;
    const backlog = () => {
      if (!read || Date.now() - read.at > 1_000)
        read = {
          at: Date.now(),
          backlog: Promise.resolve()
            .then(() => readOutboxBacklog(opts.db()))
            .catch((err: unknown) => {
              warn("the outbox backlog", err);
              return null;
            }),
        };
      return read.backlog;
    };
    new client.Gauge({
      name: "somaagent_outbox_pending_rows",
      help: "Outbox rows waiting for the relay to put them on the bus",
      registers,
      // Read from the one database: every gateway process reads the same figure (not a sum).
      aggregator: "max",
      async collect() {
        const b = await backlog();
        this.set(b ? b.pending : NaN);
      },
    });
    new client.Gauge({
      name: "somaagent_outbox_oldest_pending_age_seconds",
      help: "How long the oldest pending outbox row has waited (0: none pending)",
      registers,
      // Read from the one database: every gateway process reads the same figure (not a sum).
      aggregator: "max",
      async collect() {
        const b = await backlog();
        this.set(b ? b.oldestAgeSeconds : NaN);
      },
    });
    new client.Gauge({
      name: "somaagent_db_migrations",
      help: "Migration drift: pending (shipped, not applied), failed (started, not finished), unknown (applied, not shipped)",
      labelNames: ["state"] as const,
      registers,
      // Read from the one database: every gateway process reads the same figure (not a sum).
      aggregator: "max",
      async collect() {
        try {
          const m = await readMigrationState(opts.db(), opts.migrationsDir);
          for (const state of ["pending", "failed", "unknown"] as const) this.set({ state }, m[state]);
        } catch (err) {
          warn("the migration state", err);
          for (const state of ["pending", "failed", "unknown"] as const) this.set({ state }, NaN);
        }
      },
    });
    return true;
  });
}
