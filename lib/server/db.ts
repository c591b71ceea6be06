// Prisma client on the pg driver adapter (no native query engine), one per process. The adapter runs
// on a pg pool made here, which the tool path's few hot statements also use directly (sqlPool):
// a Prisma query costs about 1.4 ms of CPU here (its query engine), a raw one 0.6 ms, the same
// statement on the pool 0.1-0.2 ms (docs/performance.md, "Tool round trip").
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client";
import { singleton } from "../singleton";
import { getConfig } from "../config";
import { logger } from "./logger";

export type Db = PrismaClient;

// On the client itself, under a global symbol: Next bundles its own copy of this module, and a
// client made by the custom server's copy (the shared singleton) must still be found there.
const POOL = Symbol.for("somaagent.db.pool");

export function createDb(databaseUrl: string, poolSize = 10): Db {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
  });
  // An idle connection that breaks (Postgres restarted) is dropped by the pool; the next query opens
  // another. Said once here, since Prisma listens only once it has connected.
  pool.on("error", (err) => logger().warn({ err: err.message }, "an idle Postgres connection failed"));
  // $disconnect ends the pool too (as Prisma's own pool was ended before).
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  // A burst of turns queues for a connection instead of failing after Prisma's default 2 s.
  const client = new PrismaClient({ adapter, transactionOptions: { maxWait: 10_000, timeout: 15_000 } });
  Object.defineProperty(client, POOL, { value: pool });
  return client;
}

/**
 * The pool under a client made by createDb, for statements on a hot path. Its connections are the
 * client's (one pool size in all). A timestamp column read through it must be converted in SQL
 * (`col AT TIME ZONE 'UTC'`): the columns are UTC without a zone, as Prisma writes them, and pg would
 * read them in the process's zone.
 */
export function sqlPool(db: Db): pg.Pool {
  const pool = (db as unknown as Record<symbol, pg.Pool | undefined>)[POOL];
  if (!pool) throw new Error("sqlPool: this client was not made by createDb");
  return pool;
}

export function db(): Db {
  return singleton("prisma", () => {
    const { database } = getConfig().settings;
    return createDb(database.url, database.poolSize);
  });
}
