// Sessions for a caller: create, list (newest activity first, cursor paged), read with the whole
// conversation, rename, delete, share. Access is decided by OpenFGA (lib/authz/session-access.ts):
// another tenant's session, or one the caller may not see, is a 404 (existence is not revealed); a
// session the caller may see but not change is a 403.
import type { Principal } from "../auth/principal";
import { AppError } from "../errors";
import {
  checkSession,
  grantNewSession,
  grantViewer,
  revokeViewer,
  sharedWith,
  viewersOf,
  type SessionAccess,
} from "../authz/session-access";
import { logger } from "../server/logger";
import { admitSessionCreate } from "../policy/admission";
import { tenantConfig } from "../tenancy/tenant-config";
import { db, sqlPool } from "../server/db";
import { redis } from "../server/redis";
import { publishRevocation } from "../auth/revocation";
import { checkCache, publishAuthzChange, retitleKeptSession } from "../authz/check-cache";
import { isUuid } from "../ids";
import { decodeKeyset, encodeKeyset } from "../http/keyset-cursor";
import { appendEvent, lastSeq } from "../realtime/event-log";
import { DEFAULT_TITLE, turns, turnStartSeqKey } from "../agent/turns";
import { dropHistory } from "../agent/context";
import type { SessionDetail, SessionSummary } from "./schemas";

export type Access = SessionAccess;

const SESSION_FIELDS = { id: true, title: true, createdAt: true, updatedAt: true, ownerId: true } as const;
type SessionRow = { id: string; title: string; createdAt: Date; updatedAt: Date; ownerId: string };

const notFound = () => new AppError("not_found", "No such session.");

/** What a write needs of a session: it is the caller's tenant's and not deleted; its owner. */
export interface SessionRef {
  id: string;
  /** As it was read: a write's check may answer from the process's cache (a rename may be newer). */
  title: string;
  ownerId: string;
}

/** The row a write is checked against, straight on the pool (one statement on the hot path). */
async function refRow(id: string): Promise<(SessionRef & { tenantId: string }) | undefined> {
  const { rows } = await sqlPool(db()).query<SessionRef & { tenantId: string }>({
    name: "session-ref",
    text: `SELECT id, title, owner_id AS "ownerId", tenant_id AS "tenantId"
           FROM sessions WHERE id = $1::uuid AND deleted_at IS NULL`,
    values: [id],
  });
  return rows[0];
}

/**
 * The session if the caller may use it for `access`: 404 when it is another tenant's or not visible
 * to them, 403 when they may see it but not change it. When OpenFGA is unreachable, writes fail
 * closed (503) and only the owner recorded in Postgres may read. A write's row and OpenFGA's answer
 * may come from the process's cache (lib/authz/check-cache.ts: dropped on every gateway when the
 * session is deleted or shared or unshared); what a write then does checks the row again where it
 * matters (a turn's rows are written only into a session still there: lib/agent/turn-rows.ts).
 */
export async function sessionFor(principal: Principal, id: string, access: "write"): Promise<SessionRef>;
export async function sessionFor(principal: Principal, id: string, access?: "read"): Promise<SessionRow>;
export async function sessionFor(
  principal: Principal,
  id: string,
  access: Access = "read",
): Promise<SessionRow | SessionRef> {
  if (!isUuid(id)) throw notFound();
  let s: SessionRef | null | undefined;
  if (access === "write") {
    const row = await checkCache().row(id, () => refRow(id));
    s = row?.tenantId === principal.tenantId ? { id: row.id, title: row.title, ownerId: row.ownerId } : null;
  } else
    s = await db().session.findFirst({
      where: { id, tenantId: principal.tenantId, deletedAt: null },
      select: SESSION_FIELDS,
    });
  if (!s) throw notFound();
  let allowed: boolean;
  try {
    allowed = await checkSession(principal.userId, id, access);
  } catch (err) {
    if (access === "read" && s.ownerId === principal.userId) {
      logger().warn({ sessionId: id }, "OpenFGA unreachable: owner read allowed from Postgres");
      return s;
    }
    throw err;
  }
  if (allowed) return s;
  if (access === "write" && (await checkSession(principal.userId, id, "read")))
    throw new AppError("forbidden", "You can read this session but not change it (it was shared with you).");
  throw notFound();
}

const summaryFor =
  (principal: Principal) =>
  (s: SessionRow): SessionSummary => ({
    id: s.id,
    title: s.title,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    access: s.ownerId === principal.userId ? "owner" : "viewer",
  });

/** Creates the row and its OpenFGA tuples; if the tuples cannot be written the row is removed again. */
export async function createSession(principal: Principal, title?: string): Promise<SessionSummary> {
  await admitSessionCreate({
    db: db(),
    principal,
    conf: await tenantConfig(db(), redis(), principal.tenantId),
  });
  const s = await db().session.create({
    data: { tenantId: principal.tenantId, ownerId: principal.userId, title: title ?? DEFAULT_TITLE },
    select: SESSION_FIELDS,
  });
  try {
    await grantNewSession(principal.tenantId, principal.userId, s.id);
  } catch (err) {
    await db()
      .session.delete({ where: { id: s.id } })
      .catch(() => undefined);
    throw err;
  }
  return summaryFor(principal)(s);
}

/** Shares a session (the caller must own it) with another user of the same tenant, as viewer. */
export async function shareSession(
  principal: Principal,
  id: string,
  target: { email?: string | undefined; userId?: string | undefined },
): Promise<{ sessionId: string; userId: string; relation: "viewer" }> {
  await sessionFor(principal, id, "write");
  const user = await db().user.findFirst({
    where: {
      tenantId: principal.tenantId,
      disabledAt: null,
      ...(target.userId ? { id: target.userId } : { email: target.email!.trim().toLowerCase() }),
    },
    select: { id: true },
  });
  if (!user)
    throw new AppError("not_found", "No such user in your organisation.", {
      details: [{ field: target.userId ? "userId" : "email", message: "no such user in this tenant" }],
    });
  if (user.id === principal.userId)
    throw new AppError("invalid_request", "You already own this session.", {
      details: [{ field: target.userId ? "userId" : "email", message: "is you" }],
    });
  await grantViewer(user.id, id);
  return { sessionId: id, userId: user.id, relation: "viewer" };
}

/** Who the session is shared with (the owner asks). */
export async function listShares(
  principal: Principal,
  id: string,
): Promise<{ userId: string; email: string }[]> {
  await sessionFor(principal, id, "write");
  const ids = await viewersOf(id);
  if (!ids.length) return [];
  const users = await db().user.findMany({
    where: { id: { in: ids }, tenantId: principal.tenantId },
    select: { id: true, email: true },
    orderBy: { email: "asc" },
  });
  return users.map((u) => ({ userId: u.id, email: u.email }));
}

/** Stops sharing a session with a user (the owner asks); at once, on every gateway. */
export async function unshareSession(principal: Principal, id: string, userId: string): Promise<void> {
  await sessionFor(principal, id, "write");
  if (!isUuid(userId)) throw new AppError("not_found", "No such user in your organisation.");
  await revokeViewer(userId, id);
  // Their open SSE streams and socket follows of this session end now, on every gateway.
  await publishRevocation(redis(), {
    kind: "share",
    sessionId: id,
    userId,
    reason: "This session is no longer shared with you.",
  });
}

export async function listSessions(
  principal: Principal,
  limit: number,
  cursor?: string,
): Promise<{ items: SessionSummary[]; nextCursor: string | null }> {
  const after = cursor ? decodeKeyset(cursor) : undefined;
  // Shared sessions come from OpenFGA; without it the list degrades to the caller's own sessions.
  const shared = await sharedWith(principal.userId).catch((err: unknown) => {
    logger().warn({ err: (err as Error).message }, "OpenFGA unreachable: listing owned sessions only");
    return [] as string[];
  });
  const rows = await db().session.findMany({
    where: {
      tenantId: principal.tenantId,
      OR: [{ ownerId: principal.userId }, ...(shared.length ? [{ id: { in: shared } }] : [])],
      deletedAt: null,
      ...(after
        ? {
            AND: [
              {
                OR: [{ updatedAt: { lt: after.at } }, { updatedAt: after.at, id: { lt: after.id } }],
              },
            ],
          }
        : {}),
    },
    orderBy: [{ updatedAt: "desc" }, { id: "desc" }],
    take: limit + 1,
    select: SESSION_FIELDS,
  });
  const page = rows.slice(0, limit);
  return {
    items: page.map(summaryFor(principal)),
    nextCursor:
      rows.length > limit ? encodeKeyset({ at: page.at(-1)!.updatedAt, id: page.at(-1)!.id }) : null,
  };
}

export async function sessionDetail(principal: Principal, id: string): Promise<SessionDetail> {
  const s = await sessionFor(principal, id, "read");
  // The sequence number first: events after it may already be in the rows below, never missing.
  const seq = await lastSeq(redis(), id);
  const [messages, toolCalls, turnRows] = await Promise.all([
    db().message.findMany({ where: { sessionId: id }, orderBy: { position: "asc" } }),
    db().toolCall.findMany({ where: { sessionId: id }, orderBy: { createdAt: "asc" } }),
    db().turn.findMany({ where: { sessionId: id }, orderBy: { startedAt: "asc" } }),
  ]);
  const startSeqs = new Map<string, number>();
  for (const t of turnRows.filter((r) => r.status === "running")) {
    const v = await redis().get(turnStartSeqKey(t.id));
    if (v) startSeqs.set(t.id, Number(v));
  }
  return {
    ...summaryFor(principal)(s),
    lastSeq: seq,
    messages: messages.map((m) => ({
      id: m.id,
      turnId: m.turnId,
      role: m.role,
      content: m.content,
      complete: m.complete,
      toolCalls: (m.toolCalls as { id: string; name: string; arguments: string }[] | null) ?? null,
      toolCallId: m.toolCallId,
      source: m.source,
      voice: (m.voice as SessionDetail["messages"][number]["voice"]) ?? null,
      createdAt: m.createdAt.toISOString(),
    })),
    toolCalls: toolCalls.map((c) => ({
      id: c.id,
      turnId: c.turnId,
      tool: c.tool,
      arguments: c.arguments,
      status: c.status,
      result: c.result ?? null,
      error: c.error,
      createdAt: c.createdAt.toISOString(),
      completedAt: c.completedAt?.toISOString() ?? null,
    })),
    turns: turnRows.map((t) => ({
      id: t.id,
      status: t.status,
      error: t.error,
      model: t.model,
      steps: t.steps,
      usage: { promptTokens: t.promptTokens, completionTokens: t.completionTokens },
      startedAt: t.startedAt.toISOString(),
      finishedAt: t.finishedAt?.toISOString() ?? null,
      startSeq: startSeqs.get(t.id) ?? null,
    })),
  };
}

export async function renameSession(
  principal: Principal,
  id: string,
  title: string,
): Promise<SessionSummary> {
  await sessionFor(principal, id, "write");
  const s = await db().session.update({
    where: { id },
    data: { title },
    select: SESSION_FIELDS,
  });
  retitleKeptSession(id, title);
  await appendEvent(redis(), id, { type: "session.updated", title }).catch(() => undefined);
  return summaryFor(principal)(s);
}

/** Soft delete: the session disappears at once; a running turn is stopped; the workspace is swept. */
export async function deleteSession(principal: Principal, id: string): Promise<void> {
  await sessionFor(principal, id, "write");
  await db().session.update({ where: { id }, data: { deletedAt: new Date() }, select: { id: true } });
  // Access to a deleted session is refused by its row already; its cached answers go with it.
  await publishAuthzChange(redis(), { sessionId: id }).catch((err: unknown) =>
    logger().warn({ err: (err as Error).message, sessionId: id }, "authz cache: deletion not announced"),
  );
  await turns()
    .cancel(id)
    .catch(() => undefined);
  await dropHistory(redis(), id);
  await appendEvent(redis(), id, { type: "session.deleted" }).catch(() => undefined);
}
