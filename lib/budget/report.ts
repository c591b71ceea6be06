// GET /api/v1/usage: what the caller used today and this month, the tenant's totals against its
// budgets (every member sees how much is left), and for tenant admins the month per user.
import type { Redis } from "ioredis";
import type { Principal } from "../auth/principal";
import type { Db } from "../server/db";
import { tenantConfig } from "../tenancy/tenant-config";
import { budgetLines, periodOf, sumTokens, type BudgetLine } from "./usage";

interface Totals {
  tokens: number;
  costUsd: number;
}

export interface UsageReport {
  period: { day: string; month: string };
  user: { day: Totals; month: Totals };
  tenant: { day: Totals; month: Totals };
  budget: { tokensDaily: BudgetLine | null; tokensMonthly: BudgetLine | null };
  byUser?: { userId: string | null; email: string | null; tokens: number; costUsd: number }[];
}

const round = (t: Totals): Totals => ({ tokens: t.tokens, costUsd: Math.round(t.costUsd * 1e6) / 1e6 });

export async function usageReport(db: Db, redis: Redis, principal: Principal): Promise<UsageReport> {
  const p = periodOf();
  const tenant = { tenantId: principal.tenantId };
  const mine = { ...tenant, userId: principal.userId };
  const [userDay, userMonth, tenantDay, tenantMonth, conf] = await Promise.all([
    sumTokens(db, mine, p.dayStart),
    sumTokens(db, mine, p.monthStart),
    sumTokens(db, tenant, p.dayStart),
    sumTokens(db, tenant, p.monthStart),
    tenantConfig(db, redis, principal.tenantId),
  ]);
  const report: UsageReport = {
    period: { day: p.day, month: p.month },
    user: { day: round(userDay), month: round(userMonth) },
    tenant: { day: round(tenantDay), month: round(tenantMonth) },
    // From Postgres directly, so the figures here always agree with the totals above.
    budget: budgetLines(conf?.budgets, { day: tenantDay.tokens, month: tenantMonth.tokens }, p),
  };
  if (principal.role === "admin") {
    const groups = await db.usageRecord.groupBy({
      by: ["userId"],
      where: { ...tenant, createdAt: { gte: p.monthStart } },
      _sum: { promptTokens: true, completionTokens: true, costUsd: true },
    });
    const users = await db.user.findMany({
      where: { id: { in: groups.map((g) => g.userId).filter((u): u is string => u !== null) } },
      select: { id: true, email: true },
    });
    const email = new Map(users.map((u) => [u.id, u.email]));
    report.byUser = groups
      .map((g) => ({
        userId: g.userId,
        email: g.userId ? (email.get(g.userId) ?? null) : null,
        ...round({
          tokens: (g._sum.promptTokens ?? 0) + (g._sum.completionTokens ?? 0),
          costUsd: Number(g._sum.costUsd ?? 0),
        }),
      }))
      .sort((a, b) => b.tokens - a.tokens);
  }
  return report;
}
