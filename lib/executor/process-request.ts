// One tool request, end to end inside the executor, idempotent by tool-call id:
// validate → claim the call row → policy → resolve secrets → run in the tool host → mask →
// record the result in Postgres → deliver it. The bus message is acknowledged only when this returns.
import { TOOL_FINAL_STATUSES } from "../tool-status";
import { createHash } from "node:crypto";
import path from "node:path";
import fs from "node:fs";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Bus } from "../bus";
import { toolRequestSchema, type ToolRequest, type ToolResult } from "../bus/messages";
import type { Settings } from "../config";
import type { TenantConfig } from "../config/files";
import { opaDecision } from "../server/opa";
import { policyMirror } from "../policy/in-process";
import { scrub, writeAudit, type AuditEntry } from "../audit/log";
import { tenantSlug } from "../tenancy/tenant-config";
import { sqlPool, type Db } from "../server/db";
import type { Masker } from "../secrets/mask";
import { resolveSecretRefs, SecretDenied, type SecretStore } from "../secrets/store";
import { findTool } from "../tools/registry";
import type { ToolOutcome } from "../tools/types";
import type { ToolHost } from "./tool-host";
import { isAlive } from "./heartbeat";
import { notifyToolDone } from "../tool-calls/result-notify";
import { imagePath, isMounted, mountWorkspace, unmountWorkspace } from "../sandbox/workspace-quota";
import type { WorkspaceSpares } from "../sandbox/workspace-spares";
import type { TraceCarrier } from "../tracing/propagation";
import { ATTR, withSpan } from "../tracing/spans";

/** The call cannot be taken now (another live executor runs it): the bus delivers it again later. */
export class RetryLater extends Error {}

/** A step before the tool runs could not be done now (OPA or Postgres did not answer): retried. */
export class StepUnavailable extends Error {}

/** One line an operator can act on: the message and, for a failed fetch, its network cause. */
export function failureReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: string; message?: string } | undefined;
  const detail = cause && (cause.code ?? cause.message);
  return (detail && !err.message.includes(detail) ? `${err.message} (${detail})` : err.message).slice(0, 500);
}

export interface ExecutorDeps {
  db: Db;
  redis: Redis;
  bus: Bus;
  host: ToolHost;
  executorId: string;
  settings: Settings;
  tenants: Record<string, TenantConfig>;
  secrets: SecretStore;
  /** Hides every secret of `secrets` (made once per process: the store does not change). */
  masker: Masker;
  log: Logger;
  /**
   * The host can loop-mount (probed at start): each session's workspace is then its own image of
   * executor.workspaceMaxMb. False or absent: plain directories, no quota.
   */
  workspaceQuota?: boolean;
  /** Workspaces made ahead of time for sessions' first calls (with the quota only). */
  spares?: WorkspaceSpares;
  /** Hands the result back; `trace` continues the call's trace (bus message or callback headers). */
  deliver: (result: ToolResult, trace?: TraceCarrier) => Promise<void>;
  observe?: (tool: string, status: string, seconds: number) => void;
}

const TERMINAL = new Set<string>(TOOL_FINAL_STATUSES);
const TOOLS_DECISION = "somaagent/tools/decision";

/** Sandbox slots by session id: they never change, so each is read from Postgres once per process. */
const slots = new Map<string, number>();

/**
 * The session's own sandbox user: executor.sandboxUidBase + the session's unique slot (never shared),
 * so its files stay its own and rlimits apply per session.
 */
export async function sandboxUid(db: Db, settings: Settings, sessionId: string): Promise<number> {
  let slot = slots.get(sessionId);
  if (slot === undefined) {
    const row = await db.session.findUnique({ where: { id: sessionId }, select: { sandboxSlot: true } });
    if (!row) throw new Error(`session ${sessionId} does not exist`);
    slot = row.sandboxSlot;
    if (slots.size >= 50_000) slots.clear();
    slots.set(sessionId, slot);
  }
  return settings.executor.sandboxUidBase + slot;
}

/** Gives a tree to `uid` (a workspace made before sessions had their own uid). */
function chownTree(dir: string, uid: number): void {
  fs.chownSync(dir, uid, uid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(p, uid);
    else fs.lchownSync(p, uid, uid);
  }
}

/** Every directory from / down to dir can be entered by any user (sandbox uids must reach it). */
function traversableByOthers(dir: string): boolean {
  let cur = path.resolve(dir);
  for (;;) {
    try {
      if ((fs.statSync(cur).mode & 0o001) === 0) return false;
    } catch {
      /* not created yet: its parent decides */
    }
    const up = path.dirname(cur);
    if (up === cur) return true;
    cur = up;
  }
}

export function workspaceRoot(settings: Settings): string {
  if (settings.executor.workspaceRoot) return path.resolve(settings.executor.workspaceRoot);
  const local = path.resolve(".services", "workspaces");
  if (traversableByOthers(path.dirname(local))) return local;
  const tag = createHash("sha256").update(process.cwd()).digest("hex").slice(0, 12);
  return path.join("/var/tmp/somaagent", tag, "workspaces");
}

/**
 * Workspaces this process has mounted (or found mounted at start): calls running in each, when the
 * last one ended, and an unmount under way. Idle ones are unmounted (their images keep the files),
 * so a busy host does not hold a loop device per session it ever served; a clean stop unmounts all.
 */
const mounted = new Map<string, { busy: number; lastUsed: number; unmounting?: Promise<void> }>();
const IDLE_UNMOUNT_MS = 10 * 60_000;

async function prepareWorkspace(deps: ExecutorDeps, sessionId: string, uid: number): Promise<string> {
  const root = workspaceRoot(deps.settings);
  fs.mkdirSync(root, { recursive: true, mode: 0o711 });
  const dir = path.join(root, sessionId);
  const maxMb = deps.settings.executor.workspaceMaxMb;
  // An image made while the quota was on stays this session's workspace if the quota is turned off.
  if (deps.workspaceQuota && (maxMb > 0 || fs.existsSync(imagePath(root, sessionId)))) {
    // An idle unmount under way finishes first (its failure is logged where it ran); from the last
    // check to busy += 1 nothing awaits, so no unmount can start on a workspace a call is taking.
    for (let u = mounted.get(sessionId)?.unmounting; u; u = mounted.get(sessionId)?.unmounting)
      await u.catch(() => undefined);
    const use = mounted.get(sessionId) ?? { busy: 0, lastUsed: 0 };
    mounted.set(sessionId, use);
    use.busy += 1;
    const mb = maxMb || 16;
    // A session's first workspace: a spare made ahead of time, if one is ready.
    const spare = maxMb > 0 && !fs.existsSync(imagePath(root, sessionId)) ? deps.spares?.take(mb) : undefined;
    try {
      await mountWorkspace({ root, sessionId, uid, maxMb: mb, ...(spare ? { spare } : {}) });
    } catch (err) {
      releaseWorkspace(sessionId);
      throw err;
    } finally {
      if (spare) {
        deps.spares!.settle(spare);
        deps.spares!.refill(mb);
      }
    }
  } else {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  if (process.getuid?.() === 0 && fs.statSync(dir).uid !== uid) chownTree(dir, uid);
  return dir;
}

function releaseWorkspace(sessionId: string): void {
  const use = mounted.get(sessionId);
  if (!use) return;
  use.busy -= 1;
  use.lastUsed = Date.now();
}

/** Counts the workspaces already mounted under the root (an executor killed before it unmounted). */
export function adoptMountedWorkspaces(settings: Settings): number {
  const root = workspaceRoot(settings);
  let names: string[];
  try {
    names = fs.readdirSync(root).filter((n) => /^[0-9a-f-]{36}$/.test(n));
  } catch {
    return 0; // no root yet
  }
  let adopted = 0;
  for (const sessionId of names)
    if (!mounted.has(sessionId) && isMounted(path.join(root, sessionId))) {
      mounted.set(sessionId, { busy: 0, lastUsed: Date.now() });
      adopted += 1;
    }
  return adopted;
}

/**
 * Unmounts this process's workspaces that no call uses and none has used for `idleMs` (all idle
 * ones with 0: a clean stop). The next call of such a session mounts its image again (tens of ms).
 * Returns how many could not be unmounted (each logged).
 */
export async function unmountIdleWorkspaces(
  settings: Settings,
  log: Logger,
  idleMs = IDLE_UNMOUNT_MS,
): Promise<number> {
  const root = workspaceRoot(settings);
  let failed = 0;
  for (const [sessionId, use] of mounted) {
    if (use.busy > 0 || use.unmounting || Date.now() - use.lastUsed < idleMs) continue;
    use.unmounting = unmountWorkspace(root, sessionId);
    try {
      await use.unmounting;
      mounted.delete(sessionId);
    } catch (err) {
      failed += 1;
      log.warn({ err, sessionId }, "could not unmount a session's workspace");
    } finally {
      delete use.unmounting;
    }
  }
  return failed;
}

async function deadLetter(deps: ExecutorDeps, raw: string, reason: string): Promise<void> {
  deps.log.warn({ reason }, "tool request sent to the dead-letter channel");
  await deps.bus.publish("deadLetter", "invalid", {
    version: 1,
    reason,
    source: "tools",
    raw: raw.slice(0, 10_000),
    at: new Date().toISOString(),
  });
}

/** The result on its way back to the gateways, as a span of the call's trace. */
function deliver(deps: ExecutorDeps, result: ToolResult): Promise<void> {
  return withSpan(
    "executor.deliver",
    {
      kind: "producer",
      attributes: { [ATTR.toolCallId]: result.toolCallId, [ATTR.toolStatus]: result.status },
    },
    (span) => deps.deliver(result, span.carrier()),
  );
}

function toResult(req: ToolRequest, outcome: ToolOutcome): ToolResult {
  return {
    version: 1,
    toolCallId: req.toolCallId,
    sessionId: req.sessionId,
    status: outcome.status,
    ...(outcome.output === undefined ? {} : { output: outcome.output }),
    ...(outcome.error === undefined ? {} : { error: outcome.error }),
    finishedAt: new Date().toISOString(),
  };
}

/** What OPA is asked about a call. */
function policyInput(deps: ExecutorDeps, req: ToolRequest, slug: string, needsNetwork: boolean) {
  const conf = deps.tenants[slug] ?? deps.tenants[deps.settings.tenancy.defaultTenant];
  // Calls without an actor (enqueued by an older gateway) are decided with the least privilege.
  const user = req.actor ? { id: req.actor.userId, role: req.actor.role } : { id: "unknown", role: "member" };
  return {
    tenant: { id: req.tenantId, deniedTools: conf?.tools.denied ?? [] },
    user,
    tool: { name: req.tool, needsNetwork },
  };
}

type Decision = { allow: boolean; reason: string };

/**
 * The in-process mirror of OPA's policies (lib/policy/in-process.ts), as the gateway's admission, or
 * none: no opa executable. It answers while current; otherwise (a change not compiled yet, the server
 * unreachable for over a second) the server is asked.
 */
function mirror(deps: ExecutorDeps) {
  const { url, binary } = deps.settings.opa;
  return binary ? policyMirror(url, binary) : undefined;
}

/**
 * The decision, as a span of the call's trace (as the gateway's admission): the mirror's while it
 * is current, else the server's, or with `mirrorOnly` none (undefined).
 */
function policyDecision(
  deps: ExecutorDeps,
  req: ToolRequest,
  input: ReturnType<typeof policyInput>,
  mirrorOnly = false,
): Promise<Decision | undefined> {
  return withSpan("policy.opa", { kind: "client", attributes: { [ATTR.tool]: req.tool } }, async (span) => {
    const mirrored = mirror(deps)?.decide<Decision>(TOOLS_DECISION, input);
    const d = mirrored ?? (mirrorOnly ? undefined : await opaDecision<Decision>(TOOLS_DECISION, input));
    if (d)
      span.set({
        [ATTR.policySource]: mirrored ? "in-process" : "server",
        [ATTR.decision]: d.allow ? "allow" : "deny",
      });
    return d;
  });
}

/** The audit row of a call's decision (`tool.run`, success or denied). */
function decisionAudit(req: ToolRequest, decision: Decision): AuditEntry {
  return {
    action: "tool.run",
    outcome: decision.allow ? "success" : "denied",
    tenantId: req.tenantId,
    actorId: req.actor?.userId ?? null,
    actorType: req.actor ? "user" : "system",
    resource: `tool_call:${req.toolCallId}`,
    details: {
      tool: req.tool,
      sessionId: req.sessionId,
      decision: decision.allow ? "allow" : "deny",
      reason: decision.reason,
    },
  };
}

function logDecision(deps: ExecutorDeps, req: ToolRequest, decision: Decision): void {
  // Every decision is in the audit log; a refusal is worth a line here too.
  deps.log[decision.allow ? "debug" : "info"](
    { toolCallId: req.toolCallId, tool: req.tool, decision },
    "policy decision",
  );
}

/**
 * The policy's decision, and its audit row being written: the row is awaited before the call's
 * result is recorded, not before the tool starts (writeAudit never throws; a failed write is logged).
 */
async function decide(
  deps: ExecutorDeps,
  req: ToolRequest,
  slug: string,
  needsNetwork: boolean,
): Promise<{ denied: ToolOutcome | null; audited: Promise<void> }> {
  const input = policyInput(deps, req, slug, needsNetwork);
  let decision: Decision;
  try {
    decision = (await policyDecision(deps, req, input))!;
  } catch (err) {
    throw new StepUnavailable(`the policy could not be checked: ${failureReason(err)}`, { cause: err });
  }
  logDecision(deps, req, decision);
  const audited = writeAudit(decisionAudit(req, decision), deps.db);
  return { denied: decision.allow ? null : { status: "denied", error: decision.reason }, audited };
}

/** A call decided before it is claimed: its tool, arguments and tenant, and the decision. */
interface DecidedAhead {
  tool: NonNullable<ReturnType<typeof findTool>>;
  args: unknown;
  slug: string;
  decision: Decision;
}

/**
 * The common case decided before the claim, so the claim and the decision's audit row are one
 * statement: a known tool, valid arguments, the tenant known, and the policy mirror current (no
 * I/O that could fail). Anything else (undefined) takes the usual way after the claim, with its
 * retries.
 */
async function decideAhead(deps: ExecutorDeps, req: ToolRequest): Promise<DecidedAhead | undefined> {
  const tool = findTool(req.tool);
  if (!tool) return undefined;
  const args = tool.args.safeParse(req.arguments);
  if (!args.success) return undefined;
  let slug: string;
  try {
    slug = await tenantSlug(deps.db, deps.redis, req.tenantId);
  } catch {
    return undefined; // computeOutcome says why, with its retries
  }
  if (!mirror(deps)?.current) return undefined;
  const decision = await policyDecision(deps, req, policyInput(deps, req, slug, tool.needsNetwork), true);
  return decision ? { tool, args: args.data, slug, decision } : undefined;
}

/** `trace`: the trace the request was sent in (the bus message's), continued by this call's spans. */
export function processToolRequest(raw: string, deps: ExecutorDeps, trace?: TraceCarrier): Promise<void> {
  return withSpan(
    "executor.process",
    {
      kind: "consumer",
      parent: trace ?? null,
      attributes: {
        [ATTR.messagingSystem]: deps.bus.transport,
        [ATTR.messagingDestination]: "tools",
        [ATTR.messagingOperation]: "process",
        [ATTR.executorId]: deps.executorId,
      },
    },
    async (span) => {
      await processRequest(raw, deps, (req) =>
        span.set({
          [ATTR.tool]: req.tool,
          [ATTR.toolCallId]: req.toolCallId,
          [ATTR.sessionId]: req.sessionId,
        }),
      );
    },
  );
}

async function processRequest(
  raw: string,
  deps: ExecutorDeps,
  named: (req: ToolRequest) => void,
): Promise<void> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return deadLetter(deps, raw, "not JSON");
  }
  const parsed = toolRequestSchema.safeParse(json);
  if (!parsed.success) {
    return deadLetter(
      deps,
      raw,
      parsed.error.issues.map((i) => `${i.path.join(".") || "(message)"}: ${i.message}`).join("; "),
    );
  }
  const req = parsed.data;
  named(req);
  const log = deps.log.child({ toolCallId: req.toolCallId, sessionId: req.sessionId, tool: req.tool });
  try {
    await handleRequest(raw, req, deps, log);
  } catch (err) {
    // Not acknowledged: the bus delivers the request again after a backoff; each delivery claims the
    // call again, so its attempts (executor.maxAttempts) bound how often this repeats.
    if (err instanceof RetryLater) {
      log.info({ reason: err.message }, "tool request deferred; it will be delivered again");
      throw err;
    }
    const reason = failureReason(err);
    log.warn({ reason }, "tool request failed; it will be delivered again");
    // Kept on the row, so the attempt that gives up can say why (Postgres may be what failed).
    await deps.db.toolCall
      .updateMany({
        where: { id: req.toolCallId, status: "running", claimedBy: deps.executorId },
        data: { error: reason },
      })
      .catch((e: unknown) => log.warn({ reason: failureReason(e) }, "could not record the failure's reason"));
    throw err;
  }
}

/**
 * Takes the call for this executor. A call nobody has taken yet (the common case) is claimed in one
 * statement; otherwise its row decides: finished (its result is handed back), running on a live
 * executor (later), or left by a dead one (taken over). Returns the attempts before this one and
 * the last one's reason, or null when the request is dealt with already.
 */
async function claim(
  raw: string,
  req: ToolRequest,
  deps: ExecutorDeps,
  log: Logger,
  ahead?: DecidedAhead,
): Promise<{ attempts: number; error: string | null; audited: boolean } | null> {
  // Straight on the pool (lib/server/db.ts), as the result's record below: the call's hot path.
  const claimSql = `UPDATE tool_calls
           SET status = 'running', claimed_by = $1, started_at = now() AT TIME ZONE 'UTC',
               attempts = attempts + 1
           WHERE id = $2::uuid AND status IN ('pending', 'queued')
           RETURNING attempts, error`;
  if (ahead) {
    // Decided already: the decision's audit row goes in with the claim (only if the call is claimed).
    const entry = decisionAudit(req, ahead.decision);
    try {
      const { rows } = await sqlPool(deps.db).query<{ attempts: number; error: string | null }>({
        name: "tool-call-claim-audited",
        text: `WITH claimed AS (${claimSql}), audited AS (
                 INSERT INTO audit_log (tenant_id, actor_id, actor_type, action, resource, outcome, details,
                                        created_at)
                 SELECT $3::uuid, $4::uuid, $5, $6, $7, $8::"AuditOutcome", $9::jsonb, now() AT TIME ZONE 'UTC'
                 FROM claimed
               )
               SELECT attempts, error FROM claimed`,
        values: [
          deps.executorId,
          req.toolCallId,
          entry.tenantId,
          entry.actorId,
          entry.actorType,
          entry.action,
          entry.resource,
          entry.outcome,
          JSON.stringify(scrub(entry.details)),
        ],
      });
      if (rows[0]) {
        logDecision(deps, req, ahead.decision);
        return { attempts: rows[0].attempts - 1, error: rows[0].error, audited: true };
      }
    } catch (err) {
      // The audit row could not be written with it: claim alone, and audit the usual way.
      log.warn({ reason: failureReason(err) }, "claim with its audit row failed; claiming alone");
    }
  }
  const { rows: fresh } = await sqlPool(deps.db).query<{ attempts: number; error: string | null }>({
    name: "tool-call-claim",
    text: claimSql,
    values: [deps.executorId, req.toolCallId],
  });
  if (fresh[0]) return { attempts: fresh[0].attempts - 1, error: fresh[0].error, audited: false };

  const row = await deps.db.toolCall.findUnique({
    where: { id: req.toolCallId },
    select: { status: true, claimedBy: true, result: true, error: true, attempts: true },
  });
  if (!row) {
    await deadLetter(deps, raw, `no tool call ${req.toolCallId} is recorded`);
    return null;
  }
  if (TERMINAL.has(row.status)) {
    // A redelivery of finished work: hand back the recorded result, never run it again.
    log.info({ status: row.status }, "already finished; redelivering the recorded result");
    await deliver(deps, {
      version: 1,
      toolCallId: req.toolCallId,
      sessionId: req.sessionId,
      status: row.status as ToolResult["status"],
      ...(row.result === null ? {} : { output: row.result }),
      ...(row.error === null ? {} : { error: row.error }),
      finishedAt: new Date().toISOString(),
    });
    return null;
  }
  if (
    row.status === "running" &&
    row.claimedBy &&
    row.claimedBy !== deps.executorId &&
    (await isAlive(deps.redis, row.claimedBy))
  ) {
    throw new RetryLater(`tool call is running on executor ${row.claimedBy}`);
  }
  // pending and queued are the same to a claim (the relay marks queued after publishing).
  const claimable = row.status === "running" ? (["running"] as const) : (["pending", "queued"] as const);
  const claimed = await deps.db.toolCall.updateMany({
    where: { id: req.toolCallId, status: { in: [...claimable] }, claimedBy: row.claimedBy },
    data: {
      status: "running",
      claimedBy: deps.executorId,
      startedAt: new Date(),
      attempts: { increment: 1 },
    },
  });
  if (claimed.count === 0) throw new RetryLater("another executor claimed the call first");
  return { attempts: row.attempts, error: row.error, audited: false };
}

async function handleRequest(raw: string, req: ToolRequest, deps: ExecutorDeps, log: Logger): Promise<void> {
  const ahead = await decideAhead(deps, req);
  const row = await withSpan(
    "executor.claim",
    { attributes: { [ATTR.toolCallId]: req.toolCallId, [ATTR.executorId]: deps.executorId } },
    async (span) => {
      const claimed = await claim(raw, req, deps, log, ahead);
      if (claimed) span.set({ [ATTR.attempt]: claimed.attempts + 1 });
      return claimed;
    },
  );
  if (!row) return;
  // Decided and audited with the claim: the first attempt goes straight to the tool.
  let decided = row.audited ? ahead : undefined;

  const started = performance.now();
  const { maxAttempts, retryBackoffMs } = deps.settings.executor;
  let attempt = row.attempts + 1;
  let outcome: ToolOutcome | undefined;
  if (attempt > maxAttempts) {
    // Every earlier attempt ended without a result (its executor was killed, or it gave up waiting).
    const last = row.error ?? "the executors running it stopped before it finished (killed or crashed)";
    outcome = { status: "failed", error: `gave up after ${row.attempts} attempts: ${last}` };
    log.error({ attempts: row.attempts, reason: last }, "tool call failed: no attempts left");
  }
  while (!outcome) {
    try {
      outcome = await computeOutcome(deps, req, decided);
      decided = undefined;
    } catch (err) {
      if (!(err instanceof StepUnavailable)) throw err;
      const reason = failureReason(err);
      if (attempt >= maxAttempts) {
        log.error({ attempt, maxAttempts, reason }, "tool call failed: no attempts left");
        outcome = { status: "failed", error: `${reason} (gave up after ${attempt} attempts)` };
        break;
      }
      const retryInMs = retryBackoffMs * 2 ** (attempt - 1);
      log.warn({ attempt, maxAttempts, retryInMs, reason }, "tool call attempt failed; retrying");
      await new Promise((r) => setTimeout(r, retryInMs));
      // The next attempt is counted on the row with the reason of this one, so an executor that takes
      // the call over (this one killed while waiting) goes on counting and can say why it gives up.
      const counted = await deps.db.toolCall.updateMany({
        where: { id: req.toolCallId, status: "running", claimedBy: deps.executorId },
        data: { attempts: { increment: 1 }, error: reason },
      });
      if (counted.count === 0) {
        log.warn("the call was stopped or taken over while waiting to retry; leaving it");
        return;
      }
      attempt += 1;
    }
  }
  outcome = deps.masker.deep(outcome);
  const seconds = (performance.now() - started) / 1000;

  // No output leaves the column as it was.
  const final = outcome;
  const recorded = await withSpan(
    "executor.record",
    { attributes: { [ATTR.toolCallId]: req.toolCallId, [ATTR.toolStatus]: final.status } },
    () =>
      sqlPool(deps.db).query<{ status: ToolResult["status"]; result: unknown; error: string | null }>({
        name: "tool-call-record",
        text: `UPDATE tool_calls
               SET status = $1::"ToolCallStatus", result = COALESCE($2::jsonb, result), error = $3,
                   completed_at = now() AT TIME ZONE 'UTC'
               WHERE id = $4::uuid AND status = 'running' AND claimed_by = $5
               RETURNING status, result, error`,
        values: [
          final.status,
          final.output === undefined ? null : JSON.stringify(final.output),
          final.error ?? null,
          req.toolCallId,
          deps.executorId,
        ],
      }),
  );
  if (recorded.rowCount === 0) {
    log.warn("the call was taken over by another executor; dropping this run's result");
    return;
  }
  deps.observe?.(req.tool, outcome.status, seconds);
  log.info({ status: outcome.status, ms: Math.round(seconds * 1000) }, "tool call finished");
  // The waiting gateway is woken here at once (the result is recorded; a small one goes along, as
  // Postgres returned it), beside the delivery: the results channel (or callback) is the durable
  // way, which wakes it again if this was missed.
  await Promise.all([
    notifyToolDone(deps.redis, req.toolCallId, recorded.rows[0]).catch((err: unknown) =>
      log.warn({ reason: failureReason(err) }, "could not wake the caller directly; the delivery will"),
    ),
    deliver(deps, toResult(req, outcome)),
  ]);
}

/** Everything from the tool's checks to its run; steps that may pass later throw StepUnavailable. */
async function computeOutcome(
  deps: ExecutorDeps,
  req: ToolRequest,
  decided?: DecidedAhead,
): Promise<ToolOutcome> {
  if (decided) {
    const { tool, args, slug, decision } = decided;
    if (!decision.allow) return { status: "denied", error: decision.reason };
    return runTool(deps, req, slug, args, tool.usesWorkspace ?? false);
  }
  const tool = findTool(req.tool);
  if (!tool) return { status: "failed", error: `unknown tool "${req.tool}"` };
  const args = tool.args.safeParse(req.arguments);
  if (!args.success)
    return {
      status: "failed",
      error: `invalid arguments: ${args.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    };
  let slug: string;
  try {
    // The id → slug mapping is cached in Redis (shared with the gateway), not read per call.
    slug = await tenantSlug(deps.db, deps.redis, req.tenantId);
  } catch (err) {
    throw new StepUnavailable(`the tenant could not be read: ${failureReason(err)}`, { cause: err });
  }
  const { denied, audited } = await decide(deps, req, slug, tool.needsNetwork);
  try {
    return denied ?? (await runTool(deps, req, slug, args.data, tool.usesWorkspace ?? false));
  } finally {
    await audited;
  }
}

async function runTool(
  deps: ExecutorDeps,
  req: ToolRequest,
  slug: string,
  args: unknown,
  usesWorkspace: boolean,
): Promise<ToolOutcome> {
  let resolved: unknown;
  try {
    resolved = resolveSecretRefs(args, deps.secrets.forTenant(slug), req.tool);
  } catch (err) {
    if (!(err instanceof SecretDenied)) throw err;
    // One answer for unknown, other tenants' and not-allowed names, so names cannot be probed; the
    // audit log keeps which name was asked for.
    await writeAudit(
      {
        action: "secret.denied",
        outcome: "denied",
        tenantId: req.tenantId,
        actorId: req.actor?.userId ?? null,
        actorType: req.actor ? "user" : "system",
        resource: `tool_call:${req.toolCallId}`,
        details: { tool: req.tool, reference: err.secretName, rule: err.rule, sessionId: req.sessionId },
      },
      deps.db,
    );
    deps.log.warn({ toolCallId: req.toolCallId, tool: req.tool, rule: err.rule }, "secret refused");
    return { status: "denied", error: err.message };
  }
  const s = deps.settings.executor;
  const uid = await sandboxUid(deps.db, deps.settings, req.sessionId);
  const limits = {
    timeoutMs: deps.settings.agent.toolTimeoutMs,
    memoryBytes: s.sandboxMemoryMb * 1024 * 1024,
    cpuSeconds: s.sandboxCpuSeconds,
    maxProcesses: s.sandboxMaxProcesses,
    outputBytes: s.sandboxOutputBytes,
    tmpBytes: s.sandboxTmpMb * 1024 * 1024,
    uid,
  };
  let workspace = "";
  if (usesWorkspace) {
    try {
      workspace = await prepareWorkspace(deps, req.sessionId, uid);
    } catch (err) {
      deps.log.error({ err, sessionId: req.sessionId }, "the session's workspace could not be prepared");
      return {
        status: "failed",
        error: `the session's workspace could not be prepared: ${(err as Error).message}`,
      };
    }
  }
  try {
    // The tool host's run (code tools: in the bubblewrap sandbox the host spawns), as one span.
    return await withSpan(
      "sandbox.run",
      { attributes: { [ATTR.tool]: req.tool, [ATTR.toolCallId]: req.toolCallId } },
      async (span) => {
        const outcome = await deps.host.run(
          {
            tool: req.tool,
            args: resolved,
            ctx: {
              toolCallId: req.toolCallId,
              sessionId: req.sessionId,
              tenantId: req.tenantId,
              ...(req.actor ? { userId: req.actor.userId, role: req.actor.role } : {}),
              workspace,
              limits,
              httpAllowedHosts: deps.settings.tools.httpAllowedHosts,
            },
            warmSandboxes: s.warmSandboxes,
          },
          limits.timeoutMs + 10_000,
        );
        span.set({ [ATTR.toolStatus]: outcome.status });
        return outcome;
      },
    );
  } finally {
    if (workspace) releaseWorkspace(req.sessionId);
  }
}
