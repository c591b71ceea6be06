// Token usage per tenant and the budgets of conf/tenants.yaml. Every turn's usage is a row in
// Postgres (usage_records, with model and cost); the running day and month totals a budget check
// needs are cached in Redis, rebuilt from Postgres when missing and kept short-lived so any drift
// heals within minutes. A request over budget is refused before any model is called.
import type { Redis } from "ioredis";
import type { TenantConfig } from "../config/files";
import { AppError } from "../errors";
import { budgetMetrics } from "./metrics";
import type { Db } from "../server/db";
import { singleton } from "../singleton";

const CACHE_TTL_S = 600;

export interface Period {
  day: string; // YYYY-MM-DD, UTC
  month: string; // YYYY-MM, UTC
  dayStart: Date;
  monthStart: Date;
  nextDay: Date;
  nextMonth: Date;
}

export function periodOf(now = new Date()): Period {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  return {
    day: now.toISOString().slice(0, 10),
    month: now.toISOString().slice(0, 7),
    dayStart: new Date(Date.UTC(y, m, d)),
    monthStart: new Date(Date.UTC(y, m, 1)),
    nextDay: new Date(Date.UTC(y, m, d + 1)),
    nextMonth: new Date(Date.UTC(y, m + 1, 1)),
  };
}

const dayKey = (tenantId: string, p: Period) => `usage:tokens:${tenantId}:d:${p.day}`;
const monthKey = (tenantId: string, p: Period) => `usage:tokens:${tenantId}:m:${p.month}`;

/** Adds to the cached totals only where they exist (a missing total is rebuilt from Postgres). */
const INCR_IF_CACHED = `
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then redis.call('INCRBY', key, ARGV[1]) end
end
return 1`;

export async function sumTokens(
  db: Db,
  where: { tenantId: string; userId?: string },
  since: Date,
): Promise<{ tokens: number; costUsd: number }> {
  const r = await db.usageRecord.aggregate({
    where: { ...where, createdAt: { gte: since } },
    _sum: { promptTokens: true, completionTokens: true, costUsd: true },
  });
  return {
    tokens: (r._sum.promptTokens ?? 0) + (r._sum.completionTokens ?? 0),
    costUsd: Number(r._sum.costUsd ?? 0),
  };
}

/** Totals being rebuilt from Postgres in this process, by cache key. */
const rebuilding = () => singleton("budget-rebuilds", () => new Map<string, Promise<number>>());

/**
 * A missing total, summed from Postgres and cached. The turns that find it missing at the same
 * moment (every turn of a busy tenant when it expires, or at midnight) share one sum.
 */
function rebuild(db: Db, redis: Redis, key: string, tenantId: string, since: Date): Promise<number> {
  const inFlight = rebuilding();
  let total = inFlight.get(key);
  if (!total) {
    total = (async () => {
      const tokens = (await sumTokens(db, { tenantId }, since)).tokens;
      await redis.set(key, tokens, "EX", CACHE_TTL_S, "NX");
      return tokens;
    })().finally(() => inFlight.delete(key));
    inFlight.set(key, total);
  }
  return total;
}

/** The tenant's tokens used today and this month (UTC). */
export async function tenantTokens(
  db: Db,
  redis: Redis,
  tenantId: string,
  p: Period = periodOf(),
): Promise<{ day: number; month: number }> {
  const keys = [dayKey(tenantId, p), monthKey(tenantId, p)] as const;
  const cached = await redis.mget(...keys);
  const [day, month] = await Promise.all(
    ([0, 1] as const).map(async (i) =>
      cached[i] !== null
        ? Number(cached[i])
        : rebuild(db, redis, keys[i], tenantId, i === 0 ? p.dayStart : p.monthStart),
    ),
  );
  return { day: day!, month: month! };
}

/** After a usage row is written: keeps the cached totals in step. */
export async function addTokens(redis: Redis, tenantId: string, tokens: number, p: Period = periodOf()) {
  if (tokens <= 0) return;
  await redis.eval(INCR_IF_CACHED, 2, dayKey(tenantId, p), monthKey(tenantId, p), tokens);
}

export interface BudgetLine {
  limit: number;
  used: number;
  remaining: number;
  resetsAt: string;
}

export function budgetLines(
  budgets: TenantConfig["budgets"] | undefined,
  used: { day: number; month: number },
  p: Period = periodOf(),
): { tokensDaily: BudgetLine | null; tokensMonthly: BudgetLine | null } {
  const line = (limit: number | undefined, n: number, resets: Date): BudgetLine | null =>
    limit === undefined
      ? null
      : { limit, used: n, remaining: Math.max(0, limit - n), resetsAt: resets.toISOString() };
  return {
    tokensDaily: line(budgets?.tokensDaily, used.day, p.nextDay),
    tokensMonthly: line(budgets?.tokensMonthly, used.month, p.nextMonth),
  };
}

/** Refuses (402 budget_exceeded) when the tenant has used up its daily or monthly token budget. */
export async function enforceTokenBudget(
  db: Db,
  redis: Redis,
  tenantId: string,
  budgets: TenantConfig["budgets"] | undefined,
): Promise<void> {
  if (!budgets) return;
  const p = periodOf();
  const lines = budgetLines(budgets, await tenantTokens(db, redis, tenantId, p), p);
  for (const [name, line, span] of [
    ["tokensDaily", lines.tokensDaily, "daily"],
    ["tokensMonthly", lines.tokensMonthly, "monthly"],
  ] as const) {
    if (line && line.remaining <= 0) {
      budgetMetrics().refused(name);
      throw new AppError(
        "budget_exceeded",
        `Your organisation has used its ${span} token budget (${line.used.toLocaleString("en")} of ${line.limit.toLocaleString("en")} tokens). It resets at ${line.resetsAt.replace("T", " ").slice(0, 16)} UTC.`,
        { details: { budget: name, ...line } },
      );
    }
  }
}
