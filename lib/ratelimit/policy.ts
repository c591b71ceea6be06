// Which limit applies: per route class (chat messages, voice sessions, tool invocations, sign-in
// attempts), per user at the tenant's configured rate and per tenant at ten times that.
import type { Principal } from "../auth/principal";
import type { TenantConfig } from "../config/files";
import { db } from "../server/db";
import { redis } from "../server/redis";
import { tenantConfig } from "../tenancy/tenant-config";
import { hit, refusal, type LimitResult } from "./limiter";

export type RouteClass = keyof TenantConfig["rateLimits"];

/** When conf/tenants.yaml has no entry at all (requests per minute, per user). */
export const DEFAULT_RATE_LIMITS: TenantConfig["rateLimits"] = {
  chatMessages: 30,
  voiceSessions: 6,
  toolInvocations: 120,
  authAttempts: 10,
};

const WHAT: Record<RouteClass, string> = {
  chatMessages: "messages",
  voiceSessions: "voice sessions",
  toolInvocations: "tool invocations",
  authAttempts: "sign-in attempts",
};

/** Counts the request against the caller's and the tenant's limit; throws 429 when over either. */
export async function enforceRateLimit(principal: Principal, cls: RouteClass): Promise<LimitResult> {
  const conf = await tenantConfig(db(), redis(), principal.tenantId);
  const perUser = (conf?.rateLimits ?? DEFAULT_RATE_LIMITS)[cls];
  const result = await hit(redis(), [
    { key: `${cls}:user:${principal.userId}`, limit: perUser },
    { key: `${cls}:tenant:${principal.tenantId}`, limit: perUser * 10 },
  ]);
  if (!result.allowed) throw refusal(result, WHAT[cls]);
  return result;
}
