// Sessions for a caller: create, list (newest activity first, cursor paged), read with the whole
// conversation, rename, delete. Another tenant's session, or one the caller may not see, is a 404
// (existence is not revealed).
import type { Principal } from "../auth/principal";
import { AppError } from "../errors";
import { db } from "../server/db";
import { redis } from "../server/redis";
import { appendEvent, lastSeq } from "../realtime/event-log";
import { DEFAULT_TITLE, turns, turnStartSeqKey } from "../agent/turns";
import { dropHistory } from "../agent/context";
import type { SessionDetail, SessionSummary } from "./schemas";

export type Access = "read" | "write";

/** The session if the caller may use it for `access`; 404 otherwise. */
export async function sessionFor(principal: Principal, id: string, _access: Access = "read") {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw new AppError("not_found", "No such session.");
  const s = await db().session.findFirst({
    where: { id, tenantId: principal.tenantId, ownerId: principal.userId, deletedAt: null },
    select: { id: true, title: true, createdAt: true, updatedAt: true },
  });
  if (!s) throw new AppError("not_found", "No such session.");
  return s;
}

const summary = (s: { id: string; title: string; createdAt: Date; updatedAt: Date }): SessionSummary => ({
  id: s.id,
  title: s.title,
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString(),
});

export async function createSession(principal: Principal, title?: string): Promise<SessionSummary> {
  const s = await db().session.create({
    data: { tenantId: principal.tenantId, ownerId: principal.userId, title: title ?? DEFAULT_TITLE },
    select: { id: true, title: true, createdAt: true, updatedAt: true },
  });
  return summary(s);
}

function encodeCursor(s: { updatedAt: Date; id: string }): string {
  return Buffer.from(`${s.updatedAt.toISOString()}|${s.id}`).toString("base64url");
}

function decodeCursor(cursor: string): { updatedAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const updatedAt = new Date(at ?? "");
  if (!id || Number.isNaN(updatedAt.getTime()) || !/^[0-9a-f-]{36}$/.test(id))
    throw new AppError("invalid_request", "Invalid cursor: pass back nextCursor as given.", {
      details: [{ field: "cursor", message: "not a cursor from this API" }],
    });
  return { updatedAt, id };
}

export async function listSessions(
  principal: Principal,
  limit: number,
  cursor?: string,
): Promise<{ items: SessionSummary[]; nextCursor: string | null }> {
  const after = cursor ? decodeCursor(cursor) : undefined;
  const rows = await db().session.findMany({
    where: {
      tenantId: principal.tenantId,
      ownerId: principal.userId,
      deletedAt: null,
      ...(after
        ? {
            OR: [
              { updatedAt: { lt: after.updatedAt } },
              { updatedAt: after.updatedAt, id: { lt: after.id } },
            ],
          }
        : {}),
    },
    orderBy: [{ updatedAt: "desc" }, { id: "desc" }],
    take: limit + 1,
    select: { id: true, title: true, createdAt: true, updatedAt: true },
  });
  const page = rows.slice(0, limit);
  return { items: page.map(summary), nextCursor: rows.length > limit ? encodeCursor(page.at(-1)!) : null };
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
    ...summary(s),
    lastSeq: seq,
    messages: messages.map((m) => ({
      id: m.id,
      turnId: m.turnId,
      role: m.role,
      content: m.content,
      complete: m.complete,
      toolCalls: (m.toolCalls as { id: string; name: string; arguments: string }[] | null) ?? null,
      toolCallId: m.toolCallId,
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
    select: { id: true, title: true, createdAt: true, updatedAt: true },
  });
  await appendEvent(redis(), id, { type: "session.updated", title }).catch(() => undefined);
  return summary(s);
}

/** Soft delete: the session disappears at once; a running turn is stopped; the workspace is swept. */
export async function deleteSession(principal: Principal, id: string): Promise<void> {
  await sessionFor(principal, id, "write");
  await db().session.update({ where: { id }, data: { deletedAt: new Date() }, select: { id: true } });
  await turns()
    .cancel(id)
    .catch(() => undefined);
  await dropHistory(redis(), id);
  await appendEvent(redis(), id, { type: "session.deleted" }).catch(() => undefined);
}
