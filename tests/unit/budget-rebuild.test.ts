// The tenant's token totals (lib/budget/usage.ts) are cached in Redis and summed from Postgres when
// missing: the turns that find a total missing at the same moment share one sum, and a later miss
// sums again (nothing is kept in the process).
import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import type { Db } from "@/lib/server/db";
import { periodOf, tenantTokens } from "@/lib/budget/usage";

function standIns() {
  const sums: Date[] = [];
  const set: string[] = [];
  let release: () => void = () => undefined;
  const released = new Promise<void>((r) => (release = r));
  const db = {
    usageRecord: {
      aggregate: async ({ where }: { where: { createdAt: { gte: Date } } }) => {
        sums.push(where.createdAt.gte);
        await released;
        return { _sum: { promptTokens: 5, completionTokens: 2, costUsd: null } };
      },
    },
  } as unknown as Db;
  const redis = {
    mget: async (...keys: string[]) => keys.map(() => null),
    set: async (key: string) => {
      set.push(key);
      return "OK";
    },
  } as unknown as Redis;
  return { db, redis, sums, set, release };
}

describe("token totals rebuilt from Postgres", () => {
  it("are summed once for all the turns missing them at the same moment", async () => {
    const s = standIns();
    const p = periodOf(new Date("2026-12-04T10:00:00Z"));
    const tenantId = crypto.randomUUID();
    const asked = Array.from({ length: 50 }, () => tenantTokens(s.db, s.redis, tenantId, p));
    await new Promise((r) => setImmediate(r));
    expect(s.sums).toEqual([p.dayStart, p.monthStart]);
    s.release();
    expect(await Promise.all(asked)).toEqual(Array.from({ length: 50 }, () => ({ day: 7, month: 7 })));
    expect(s.set).toHaveLength(2);

    // Still missing later (its cache expired again): summed again.
    await tenantTokens(s.db, s.redis, tenantId, p);
    expect(s.sums).toHaveLength(4);
  });

  it("are summed per tenant", async () => {
    const s = standIns();
    s.release();
    const p = periodOf();
    await Promise.all(
      [crypto.randomUUID(), crypto.randomUUID()].map((t) => tenantTokens(s.db, s.redis, t, p)),
    );
    expect(s.sums).toHaveLength(4);
  });
});
