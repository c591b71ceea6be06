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

export async function backfillTuples(
  db: Db,
  fga: OpenFgaClient,
): Promise<{ users: number; sessions: number; schedules: number }> {
  let users = 0;
  let sessions = 0;
  let schedules = 0;
  for (let cursor: string | undefined; ;) {
    const page = await db.user.findMany({
      where: { disabledAt: null, ...(cursor ? { id: { gt: cursor } } : {}) },
      orderBy: { id: "asc" },
      take: PAGE,
      select: { id: true, tenantId: true, role: true },
    });
    if (!page.length) break;
    await writeAll(
      fga,
      page.map((u) => ({ user: `user:${u.id}`, relation: u.role, object: `tenant:${u.tenantId}` })),
    );
    users += page.length;
    cursor = page.at(-1)!.id;
  }
  for (let cursor: string | undefined; ;) {
    const page = await db.session.findMany({
      where: { deletedAt: null, ...(cursor ? { id: { gt: cursor } } : {}) },
      orderBy: { id: "asc" },
      take: PAGE,
      select: { id: true, tenantId: true, ownerId: true },
    });
    if (!page.length) break;
    await writeAll(
      fga,
      page.flatMap((s) => [
        { user: `tenant:${s.tenantId}`, relation: "tenant", object: `session:${s.id}` },
        { user: `user:${s.ownerId}`, relation: "owner", object: `session:${s.id}` },
      ]),
    );
    sessions += page.length;
    cursor = page.at(-1)!.id;
  }
  for (let cursor: string | undefined; ;) {
    const page = await db.schedule.findMany({
      where: cursor ? { id: { gt: cursor } } : {},
      orderBy: { id: "asc" },
      take: PAGE,
      select: { id: true, tenantId: true, ownerId: true },
    });
    if (!page.length) break;
    await writeAll(
      fga,
      page.flatMap((s) => [
        { user: `tenant:${s.tenantId}`, relation: "tenant", object: `schedule:${s.id}` },
        { user: `user:${s.ownerId}`, relation: "owner", object: `schedule:${s.id}` },
      ]),
    );
    schedules += page.length;
    cursor = page.at(-1)!.id;
  }
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
