// Part of the migration job: the OpenFGA tuples for what Postgres already holds, so a deployment
// that had sessions and users before authorization moved to OpenFGA keeps working, and a restored
// database gets its tuples back (lib/backup). Idempotent (existing tuples are left alone) and paged,
// so it is safe to run on every deploy. (Sessions shared with a viewer exist only in OpenFGA: no
// row says so, so backups export the store's tuples too.)
import { ClientWriteRequestOnDuplicateWrites, type OpenFgaClient } from "@openfga/sdk";
import type { Db } from "../server/db";
import { getConfig } from "../config";
import { createRedis } from "../server/redis";
import { publishAuthzChange } from "../authz/check-cache";

const PAGE = 500;
const TUPLES_PER_WRITE = 100; // OpenFGA's default limit per write request

type Tuple = { user: string; relation: string; object: string };

// Writes in flight at once: a restore's backfill of 10,000 sessions took 14 s one write at a time
// (bench/backup-restore.ts); OpenFGA takes a few in parallel easily.
const WRITES_IN_FLIGHT = 4;

async function writeAll(fga: OpenFgaClient, tuples: Tuple[]): Promise<void> {
  const chunks: Tuple[][] = [];
  for (let i = 0; i < tuples.length; i += TUPLES_PER_WRITE)
    chunks.push(tuples.slice(i, i + TUPLES_PER_WRITE));
  for (let i = 0; i < chunks.length; i += WRITES_IN_FLIGHT)
    await Promise.all(
      chunks
        .slice(i, i + WRITES_IN_FLIGHT)
        .map((writes) =>
          fga.write(
            { writes },
            { conflict: { onDuplicateWrites: ClientWriteRequestOnDuplicateWrites.Ignore } },
          ),
        ),
    );
}

// Walks a table in id order, PAGE rows at a time, writing each page's tuples before reading on.
async function backfillPaged<R extends { id: string }>(
  fga: OpenFgaClient,
  fetchPage: (after: { id: { gt: string } } | Record<string, never>) => Promise<R[]>,
  toTuples: (row: R) => Tuple[],
): Promise<number> {
  let count = 0;
  for (let cursor: string | undefined; ;) {
    const page = await fetchPage(cursor ? { id: { gt: cursor } } : {});
    if (!page.length) return count;
    await writeAll(fga, page.flatMap(toTuples));
    count += page.length;
    cursor = page.at(-1)!.id;
  }
}

// A session or a schedule: its tenant's admins and its owner reach it.
const ownedBy =
  (type: "session" | "schedule") =>
  (row: { id: string; tenantId: string; ownerId: string }): Tuple[] => [
    { user: `tenant:${row.tenantId}`, relation: "tenant", object: `${type}:${row.id}` },
    { user: `user:${row.ownerId}`, relation: "owner", object: `${type}:${row.id}` },
  ];

const page = { orderBy: { id: "asc" }, take: PAGE } as const;
const owned = { id: true, tenantId: true, ownerId: true } as const;

export async function backfillTuples(
  db: Db,
  fga: OpenFgaClient,
): Promise<{ users: number; sessions: number; schedules: number }> {
  const users = await backfillPaged(
    fga,
    (after) =>
      db.user.findMany({
        ...page,
        where: { disabledAt: null, ...after },
        select: { id: true, tenantId: true, role: true },
      }),
    (u) => [{ user: `user:${u.id}`, relation: u.role, object: `tenant:${u.tenantId}` }],
  );
  const sessions = await backfillPaged(
    fga,
    (after) => db.session.findMany({ ...page, where: { deletedAt: null, ...after }, select: owned }),
    ownedBy("session"),
  );
  const schedules = await backfillPaged(
    fga,
    (after) => db.schedule.findMany({ ...page, where: after, select: owned }),
    ownedBy("schedule"),
  );
  // Gateways keep OpenFGA's answers (lib/authz/check-cache.ts): a refusal from before these tuples,
  // or from before the model this job may have just written, must not outlive them.
  const r = createRedis(getConfig().settings.redis.url);
  try {
    await publishAuthzChange(r, "all");
  } finally {
    r.disconnect();
  }
  return { users, sessions, schedules };
}
