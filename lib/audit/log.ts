// The audit log: every mutating action and every denial, one row in Postgres each, with who did it
// (actor), for which tenant, what (action, resource), from where (request id, IP) and the outcome.
// Details are scrubbed of anything secret-looking before they are written; a failed audit write is
// logged loudly but does not undo the action it records.
import type { Principal } from "../auth/principal";
import { CLIENT_IP_HEADER } from "../http/client-ip";
import type { Db } from "../server/db";
import { db as sharedDb, sqlPool } from "../server/db";
import { logger } from "../server/logger";

export type AuditOutcome = "success" | "denied" | "failure";

/** Refusals for policy reasons, audited wherever they happen (HTTP routes, socket events). */
const DENIALS: ReadonlySet<string> = new Set(["forbidden", "budget_exceeded", "rate_limited"]);
export const isDenial = (code: string) => DENIALS.has(code);

export interface AuditEntry {
  action: string;
  outcome: AuditOutcome;
  tenantId?: string | null;
  actorId?: string | null;
  actorType?: "user" | "token" | "system" | "anonymous";
  resource?: string | null;
  requestId?: string | null;
  ip?: string | null;
  details?: Record<string, unknown>;
}

const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|authorization|cookie|credential/i;
const SECRET_VALUE = /\b(sk-[\w-]{8,}|soma_[\w-]{8,}|Bearer\s+\S+)/g;

/** Drops secret-named fields and masks token-shaped strings, at any depth. */
export function scrub(v: unknown): unknown {
  if (typeof v === "string") return v.replace(SECRET_VALUE, "[redacted]");
  if (Array.isArray(v)) return v.map(scrub);
  if (v && typeof v === "object")
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, SECRET_KEY.test(k) ? "[redacted]" : scrub(x)]),
    );
  return v;
}

export async function writeAudit(entry: AuditEntry, db: Db = sharedDb()): Promise<void> {
  try {
    // Straight on the pool (lib/server/db.ts): every tool call writes one, so it is a hot path.
    await sqlPool(db).query({
      name: "audit-insert",
      text: `INSERT INTO audit_log (tenant_id, actor_id, actor_type, action, resource, request_id, ip,
                                    outcome, details, created_at)
             VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8::"AuditOutcome", $9::jsonb,
                     now() AT TIME ZONE 'UTC')`,
      values: [
        entry.tenantId ?? null,
        entry.actorId ?? null,
        entry.actorType ?? (entry.actorId ? "user" : "anonymous"),
        entry.action,
        entry.resource ?? null,
        entry.requestId ?? null,
        entry.ip ?? null,
        entry.outcome,
        entry.details ? JSON.stringify(scrub(entry.details)) : null,
      ],
    });
  } catch (err) {
    logger().error({ err: (err as Error).message, action: entry.action }, "audit write failed");
  }
}

/** Request id and client address as the gateway recorded them on the request. */
export function requestMeta(request: Request): { requestId: string | null; ip: string | null } {
  return {
    requestId: request.headers.get("x-request-id"),
    ip: request.headers.get(CLIENT_IP_HEADER),
  };
}

export function actorOf(principal: Principal | null | undefined) {
  return principal
    ? {
        tenantId: principal.tenantId,
        actorId: principal.userId,
        actorType: principal.kind === "token" ? ("token" as const) : ("user" as const),
      }
    : { actorType: "anonymous" as const };
}

/** An audit row for an action taken through an HTTP request. */
export function auditRequest(
  request: Request,
  principal: Principal | null | undefined,
  entry: Omit<AuditEntry, "requestId" | "ip" | "actorId" | "actorType">,
): Promise<void> {
  return writeAudit({ ...actorOf(principal), ...requestMeta(request), ...entry });
}
