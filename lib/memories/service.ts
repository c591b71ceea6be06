// Long-term memories: one service for the API (/api/v1/memories) and the agent's memory tools.
// Who sees what: a memory is its owner's own (user_id set) unless saved as tenant-shared
// (user_id null); a caller sees their own and the tenant's shared ones, never another member's.
// Who changes what: your own memories; a tenant-shared one only its author or a tenant admin
// (one saved by the system has no author: admins only). A caller without a user (a system call)
// sees shared memories and changes none.
import { decodeKeyset, encodeKeyset, type KeysetPosition } from "../http/keyset-cursor";
import { getConfig } from "../config";
import { AppError } from "../errors";
import type { Prisma } from "../generated/prisma/client";
import type { Db } from "../server/db";
import { embedOrNull } from "./embed";
import { memoryIndex, type MemoryRow } from "./memory-index";
import type { MemoryPage, MemoryScope, MemoryView } from "./schemas";

export interface MemoryActor {
  tenantId: string;
  userId?: string | undefined;
  role?: "admin" | "member" | undefined;
}

interface Stored {
  id: string;
  userId: string | null;
  authorId: string | null;
  area: string;
  content: string;
  metadata: Prisma.JsonValue;
  sessionId: string | null;
  messageId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const SELECT = {
  id: true,
  userId: true,
  authorId: true,
  area: true,
  content: true,
  metadata: true,
  sessionId: true,
  messageId: true,
  createdAt: true,
  updatedAt: true,
} as const;

const fromRow = (r: MemoryRow): Stored => ({
  id: r.id,
  userId: r.user_id,
  authorId: r.author_id,
  area: r.area,
  content: r.content,
  metadata: r.metadata,
  sessionId: r.session_id,
  messageId: r.message_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const visibleTo = (m: Pick<Stored, "userId">, actor: MemoryActor) =>
  m.userId === null || (actor.userId !== undefined && m.userId === actor.userId);

/** Whether `actor` may edit or delete `m` (see the top of this file). */
export function mayChange(m: Pick<Stored, "userId" | "authorId">, actor: MemoryActor): boolean {
  if (!actor.userId) return false;
  if (m.userId !== null) return m.userId === actor.userId;
  return actor.role === "admin" || m.authorId === actor.userId;
}

export function toView(m: Stored, actor: MemoryActor, score?: number): MemoryView {
  const mine = actor.userId !== undefined && (m.userId ?? m.authorId) === actor.userId;
  return {
    id: m.id,
    content: m.content,
    area: m.area,
    scope: m.userId ? "user" : "tenant",
    metadata: m.metadata && typeof m.metadata === "object" && !Array.isArray(m.metadata) ? m.metadata : null,
    authorId: m.authorId,
    savedFrom: mine && m.sessionId ? { sessionId: m.sessionId, messageId: m.messageId } : null,
    canEdit: mayChange(m, actor),
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
    ...(score === undefined ? {} : { score: Number(score.toFixed(4)) }),
  };
}

export interface SaveInput {
  content: string;
  area: string;
  scope: MemoryScope;
  metadata?: Record<string, unknown> | undefined;
  savedFrom?: { sessionId: string; messageId: string | null } | undefined;
}

export async function saveMemory(db: Db, actor: MemoryActor, input: SaveInput): Promise<MemoryView> {
  if (input.scope === "user" && !actor.userId)
    throw new AppError(
      "invalid_request",
      'A private memory needs a user, and this call acts for none: save it with scope "tenant" to share it with the organisation.',
    );
  const embedded = await embedOrNull(input.content, "memory save");
  const row = await db.memory.create({
    data: {
      tenantId: actor.tenantId,
      userId: input.scope === "user" ? actor.userId! : null,
      authorId: actor.userId ?? null,
      area: input.area,
      content: input.content,
      ...(input.metadata ? { metadata: input.metadata as Prisma.InputJsonObject } : {}),
      ...(embedded ? { embedding: embedded.vectors[0]!, embeddingModel: embedded.model } : {}),
      ...(input.savedFrom ? input.savedFrom : {}),
    },
    select: SELECT,
  });
  return toView(row, actor);
}

export interface ListInput {
  query: string;
  cursor?: string | undefined;
  limit: number;
  area?: string | undefined;
  scope?: MemoryScope | undefined;
}

/**
 * A listing's cursor: `<offset>` continues a ranked search, `<ms>.<uuid>` the newest-first list
 * (both admitted by the query schema's pattern). One of the other listing is a 409, not a guess.
 */
function readCursor(
  raw: string | undefined,
  ranked: boolean,
): { offset: number } | KeysetPosition | undefined {
  if (!raw) return undefined;
  const keyset = raw.includes(".");
  if (keyset === ranked)
    throw new AppError(
      "conflict",
      ranked
        ? "This cursor continues the listing without a query: pass the same query (none) again, or drop the cursor."
        : "This cursor continues a search: pass the same query again, or drop the cursor.",
    );
  return ranked ? { offset: Number(raw) } : decodeKeyset(raw);
}

/** The caller's memories and the tenant's shared ones: newest first, or ranked by `query`. */
export async function listMemories(db: Db, actor: MemoryActor, input: ListInput): Promise<MemoryPage> {
  if (input.query) {
    const { items, mode, more, offset } = await rankedSearch(db, actor, input);
    return { items, mode, nextCursor: more ? String(offset + items.length) : null };
  }
  const cursor = readCursor(input.cursor, false) as KeysetPosition | undefined;
  const own = actor.userId ? [{ userId: actor.userId }] : [];
  const who =
    input.scope === "tenant"
      ? [{ userId: null }]
      : input.scope === "user"
        ? own.length
          ? own
          : [{ id: { in: [] } }]
        : [...own, { userId: null }];
  const rows = await db.memory.findMany({
    where: {
      tenantId: actor.tenantId,
      ...(input.area ? { area: input.area } : {}),
      AND: [
        { OR: who },
        ...(cursor
          ? [
              {
                OR: [{ createdAt: { lt: cursor.at } }, { createdAt: cursor.at, id: { lt: cursor.id } }],
              },
            ]
          : []),
      ],
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    select: SELECT,
  });
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => toView(r, actor)),
    mode: "list",
    nextCursor: rows.length > input.limit && last ? encodeKeyset({ at: last.createdAt, id: last.id }) : null,
  };
}

/** Ranked search (by words, and by meaning when an embedding model is on): what the tool uses too. */
export async function rankedSearch(
  db: Db,
  actor: MemoryActor,
  input: ListInput,
): Promise<{ items: MemoryView[]; mode: "words" | "hybrid"; more: boolean; offset: number }> {
  const offset = (readCursor(input.cursor, true) as { offset: number } | undefined)?.offset ?? 0;
  const { memory } = getConfig().settings;
  const embedded = await embedOrNull(input.query, "memory search");
  const index = await memoryIndex(db);
  const rows = await index.search(db, {
    tenantId: actor.tenantId,
    userId: actor.userId,
    text: input.query,
    meaning: embedded ? { model: embedded.model, vector: embedded.vectors[0]! } : null,
    weight: memory.hybridWeight,
    minSimilarity: memory.minSimilarity,
    area: input.area,
    scope: input.scope,
    limit: input.limit + 1,
    offset,
  });
  return {
    items: rows.slice(0, input.limit).map((r) => toView(fromRow(r), actor, r.score)),
    mode: embedded ? "hybrid" : "words",
    more: rows.length > input.limit,
    offset,
  };
}

/** The memory if the caller can see it and change it: 404 when unseen, 403 when only seen. */
async function changeable(db: Db, actor: MemoryActor, id: string): Promise<Stored> {
  const row = await db.memory.findFirst({ where: { id, tenantId: actor.tenantId }, select: SELECT });
  if (!row || !visibleTo(row, actor)) throw new AppError("not_found", "No such memory.");
  if (!mayChange(row, actor))
    throw new AppError(
      "forbidden",
      "Only its author or a tenant admin can change a memory shared with the organisation.",
    );
  return row;
}

export async function getMemory(db: Db, actor: MemoryActor, id: string): Promise<MemoryView> {
  const row = await db.memory.findFirst({ where: { id, tenantId: actor.tenantId }, select: SELECT });
  if (!row || !visibleTo(row, actor)) throw new AppError("not_found", "No such memory.");
  return toView(row, actor);
}

export async function updateMemory(
  db: Db,
  actor: MemoryActor,
  id: string,
  patch: { content?: string | undefined; area?: string | undefined; scope?: MemoryScope | undefined },
): Promise<MemoryView> {
  const row = await changeable(db, actor, id);
  const contentChanged = patch.content !== undefined && patch.content !== row.content;
  const embedded = contentChanged ? await embedOrNull(patch.content!, "memory update") : null;
  const updated = await db.memory.update({
    where: { id: row.id },
    data: {
      ...(patch.content !== undefined ? { content: patch.content } : {}),
      ...(patch.area !== undefined ? { area: patch.area } : {}),
      // Sharing keeps the author; making it private makes it the caller's own.
      ...(patch.scope !== undefined ? { userId: patch.scope === "user" ? actor.userId! : null } : {}),
      // New words need a new vector; without one the old vector would answer for the old words.
      ...(contentChanged
        ? embedded
          ? { embedding: embedded.vectors[0]!, embeddingModel: embedded.model }
          : { embedding: [], embeddingModel: null }
        : {}),
    },
    select: SELECT,
  });
  return toView(updated, actor);
}

export async function deleteMemory(db: Db, actor: MemoryActor, id: string): Promise<void> {
  const row = await changeable(db, actor, id);
  await db.memory.delete({ where: { id: row.id } });
}

/** The tool's forget: deletes those of `ids` the caller may change; counts the ones seen but not allowed. */
export async function forgetMemories(
  db: Db,
  actor: MemoryActor,
  ids: string[],
): Promise<{ forgotten: number; notAllowed: number }> {
  const rows = await db.memory.findMany({
    where: { tenantId: actor.tenantId, id: { in: ids } },
    select: { id: true, userId: true, authorId: true },
  });
  const seen = rows.filter((r) => visibleTo(r, actor));
  const allowed = seen.filter((r) => mayChange(r, actor)).map((r) => r.id);
  const { count } = allowed.length
    ? await db.memory.deleteMany({ where: { tenantId: actor.tenantId, id: { in: allowed } } })
    : { count: 0 };
  return { forgotten: count, notAllowed: seen.length - allowed.length };
}
