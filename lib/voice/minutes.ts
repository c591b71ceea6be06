// Voice minutes: a call's length is usage (usage_records.audio_seconds), counted against the
// tenant's `budgets.voiceMinutesDaily`. A call cannot start with nothing left, is warned a minute
// before the end, and is ended when the budget runs out. Calls still running are not yet counted,
// except the time a direct realtime start reserved (./reservations.ts).
import type { Redis } from "ioredis";
import type { TenantConfig } from "../config/files";
import { AppError } from "../errors";
import type { Db } from "../server/db";
import { periodOf } from "../budget/usage";
import { budgetMetrics } from "../budget/metrics";
import { reservedVoiceSeconds } from "./reservations";

export interface VoiceAllowance {
  /** Seconds of calls left today; Infinity without a budget. */
  seconds: number;
  resetsAt: string;
}

export async function voiceAllowance(
  db: Db,
  redis: Redis,
  tenantId: string,
  budgets: TenantConfig["budgets"] | undefined,
): Promise<VoiceAllowance> {
  const p = periodOf();
  const limit = budgets?.voiceMinutesDaily;
  if (limit === undefined) return { seconds: Infinity, resetsAt: p.nextDay.toISOString() };
  const used = await db.usageRecord.aggregate({
    where: { tenantId, createdAt: { gte: p.dayStart } },
    _sum: { audioSeconds: true },
  });
  const reserved = await reservedVoiceSeconds(redis, tenantId);
  return {
    seconds: Math.max(0, limit * 60 - (used._sum.audioSeconds ?? 0) - reserved),
    resetsAt: p.nextDay.toISOString(),
  };
}

/** 402 when the tenant has no voice time left today. */
export function refuseWhenSpent(a: VoiceAllowance, limitMinutes: number | undefined): void {
  if (a.seconds > 0) return;
  budgetMetrics().refused("voiceMinutesDaily");
  throw new AppError(
    "budget_exceeded",
    `Your organisation has used its ${limitMinutes ?? 0} voice minutes for today. They reset at ${a.resetsAt.replace("T", " ").slice(0, 16)} UTC; you can still type.`,
    { details: { budget: "voiceMinutesDaily", limit: limitMinutes, resetsAt: a.resetsAt } },
  );
}
