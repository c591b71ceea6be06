// Admission of requests before any work is done: OPA decides model routing and the size and count
// quotas (conf/opa/somaagent/requests.rego), then the tenant's token budget is checked. OPA's server
// holds the policies; the gateway evaluates a compiled mirror of them in process while it is current
// (lib/policy/in-process.ts). Every decision is logged with its reason; a refusal becomes a 403/413
// (policy) or 402 (budget) error that the route wrapper audits. When OPA cannot be reached, requests
// are refused (503): a policy that cannot be evaluated is not a policy that allowed it.
import type { Redis } from "ioredis";
import type { Principal } from "../auth/principal";
import { enforceTokenBudget } from "../budget/usage";
import type { TenantConfig } from "../config/files";
import { AppError, type ErrorCode } from "../errors";
import type { Db } from "../server/db";
import { logger } from "../server/logger";
import { opaDecision } from "../server/opa";
import { getConfig } from "../config";
import { policyMirror } from "./in-process";
import { turnStartStage } from "../agent/turn-start-timing";
import { ATTR, withSpan } from "../tracing/spans";

interface Violation {
  code: string;
  reason: string;
}
interface RequestDecision {
  allow: boolean;
  reason: string;
  violations: Violation[];
}

const STATUS_OF: Record<string, ErrorCode> = {
  message_too_large: "payload_too_large",
  model_not_allowed: "forbidden",
  session_quota: "forbidden",
};

const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1) + ".";

const DECISION = "somaagent/requests/decision";

/** The in-process mirror's answer while it is current, else OPA's server's. */
function ask(input: Record<string, unknown>): Promise<RequestDecision> {
  return withSpan(
    "policy.opa",
    { attributes: { [ATTR.policyAction]: String(input.action) } },
    async (span) => {
      const { url, binary } = getConfig().settings.opa;
      const mirrored = binary
        ? policyMirror(url, binary).decide<RequestDecision>(DECISION, input)
        : undefined;
      const d = mirrored ?? (await opaDecision<RequestDecision>(DECISION, input));
      span.set({
        [ATTR.policySource]: mirrored ? "in-process" : "server",
        [ATTR.decision]: d.allow ? "allow" : "deny",
      });
      return d;
    },
  );
}

async function decide(input: Record<string, unknown>): Promise<RequestDecision> {
  let d: RequestDecision;
  try {
    d = await ask(input);
  } catch (err) {
    logger().error({ err: (err as Error).message, action: input.action }, "OPA unreachable: request refused");
    throw new AppError("unavailable", "Policy cannot be checked right now; try again shortly.", {
      cause: err,
      headers: { "retry-after": "5" },
    });
  }
  logger().info({ action: input.action, allow: d.allow, reason: d.reason }, "policy decision");
  if (!d.allow) {
    const first = d.violations[0];
    throw new AppError(STATUS_OF[first?.code ?? ""] ?? "forbidden", sentence(first?.reason ?? d.reason), {
      details: d.violations.map((v) => ({
        ...(v.code === "message_too_large" ? { field: "content" } : {}),
        code: v.code,
        message: v.reason,
      })),
    });
  }
  return d;
}

/** What OPA is told of the tenant (its allowed models and limits; no limit: the largest number). */
export function tenantInput(principal: Principal, conf: TenantConfig | undefined, maxMessageBytes: number) {
  return {
    id: principal.tenantId,
    ...(conf?.models.allowed ? { allowedModels: conf.models.allowed } : {}),
    maxSessions: conf?.limits.maxSessions ?? Number.MAX_SAFE_INTEGER,
    maxMessageBytes,
  };
}

export async function admitMessage(opts: {
  db: Db;
  redis: Redis;
  principal: Principal;
  conf: TenantConfig | undefined;
  /** The tighter of the tenant's and the deployment's limit. */
  maxMessageBytes: number;
  model: string;
  content: string;
}): Promise<void> {
  const { principal, conf } = opts;
  await decide({
    action: "message.send",
    tenant: tenantInput(principal, conf, opts.maxMessageBytes),
    user: { id: principal.userId, role: principal.role },
    model: opts.model,
    requestBytes: Buffer.byteLength(opts.content),
  });
  turnStartStage("policy");
  await withSpan("budget.check", { attributes: { [ATTR.tenantId]: principal.tenantId } }, () =>
    enforceTokenBudget(opts.db, opts.redis, principal.tenantId, conf?.budgets),
  );
  turnStartStage("budget");
}

export async function admitSessionCreate(opts: {
  db: Db;
  principal: Principal;
  conf: TenantConfig | undefined;
}): Promise<void> {
  const { principal, conf } = opts;
  const sessionCount = await opts.db.session.count({
    where: { tenantId: principal.tenantId, deletedAt: null },
  });
  await decide({
    action: "session.create",
    tenant: tenantInput(principal, conf, conf?.limits.maxMessageBytes ?? Number.MAX_SAFE_INTEGER),
    user: { id: principal.userId, role: principal.role },
    sessionCount,
  });
}

export async function admitVoiceStart(opts: {
  principal: Principal;
  conf: TenantConfig | undefined;
  /** The chat model the call's turns would use. */
  model: string;
}): Promise<void> {
  const { principal, conf } = opts;
  await decide({
    action: "voice.start",
    tenant: tenantInput(principal, conf, conf?.limits.maxMessageBytes ?? Number.MAX_SAFE_INTEGER),
    user: { id: principal.userId, role: principal.role },
    model: opts.model,
  });
}
