// Ranked memory search behind one interface, two implementations:
// - "sql-array": vectors are Postgres real[]; the similarity (a dot product of normalised vectors) is
//   computed in SQL over the caller's visible rows. Works on any Postgres (Debian has no pgvector).
// - "pgvector": the same rows, the similarity by pgvector's cosine distance on the same real[] column
//   cast to vector; chosen when the extension is installed (the compose and Helm images can ship it).
// Both rank by score = (1 - w)·words + w·meaning, where words is ts_rank scaled to the best match of
// the result (1), meaning the cosine similarity and w memory.hybridWeight. A row is a match when it
// has every query word, or is at least memory.minSimilarity alike in meaning.
import { Prisma } from "../generated/prisma/client";
import type { Db } from "../server/db";
import { singleton } from "../singleton";
import type { MemoryScope } from "./schemas";

export interface MemoryRow {
  id: string;
  user_id: string | null;
  author_id: string | null;
  area: string;
  content: string;
  metadata: Prisma.JsonValue;
  session_id: string | null;
  message_id: string | null;
  created_at: Date;
  updated_at: Date;
  score: number;
}

export interface MemorySearch {
  tenantId: string;
  /** The caller; without one only tenant-shared memories are searched. */
  userId: string | undefined;
  text: string;
  /** The query's vector and the model that made it; null: by words only. */
  meaning: { model: string; vector: number[] } | null;
  weight: number;
  minSimilarity: number;
  area?: string | undefined;
  scope?: MemoryScope | undefined;
  limit: number;
  offset: number;
}

export interface MemoryIndex {
  readonly kind: "sql-array" | "pgvector";
  search(db: Db, q: MemorySearch): Promise<MemoryRow[]>;
}

const COLUMNS = Prisma.sql`id, user_id, author_id, area, content, metadata, session_id, message_id, created_at, updated_at`;

/** The caller's own rows and the tenant's shared ones, optionally narrowed by area and scope. */
function visible(q: MemorySearch): Prisma.Sql {
  const own = q.userId ? Prisma.sql`user_id = ${q.userId}::uuid` : Prisma.sql`false`;
  const who =
    q.scope === "tenant"
      ? Prisma.sql`user_id IS NULL`
      : q.scope === "user"
        ? own
        : Prisma.sql`(${own} OR user_id IS NULL)`;
  const area = q.area ? Prisma.sql`AND area = ${q.area}` : Prisma.empty;
  return Prisma.sql`tenant_id = ${q.tenantId}::uuid AND ${who} ${area}`;
}

/** By words only: the GIN index on to_tsvector('simple', content) finds the matches. */
function wordsOnly(db: Db, q: MemorySearch): Promise<MemoryRow[]> {
  return db.$queryRaw<MemoryRow[]>`
    WITH m AS (
      SELECT ${COLUMNS}, ts_rank(to_tsvector('simple', content), plainto_tsquery('simple', ${q.text}))::float8 AS words
      FROM memories
      WHERE ${visible(q)} AND to_tsvector('simple', content) @@ plainto_tsquery('simple', ${q.text})
    )
    SELECT ${COLUMNS}, (words / NULLIF(max(words) OVER (), 0))::float8 AS score
    FROM m
    ORDER BY words DESC, created_at DESC, id
    LIMIT ${q.limit} OFFSET ${q.offset}`;
}

function hybrid(db: Db, q: MemorySearch, similarity: Prisma.Sql): Promise<MemoryRow[]> {
  const { model } = q.meaning!;
  return db.$queryRaw<MemoryRow[]>`
    WITH m AS (
      SELECT ${COLUMNS},
        CASE WHEN tsv @@ tq THEN ts_rank(tsv, tq)::float8 ELSE 0 END AS words,
        CASE WHEN embedding_model = ${model} AND cardinality(embedding) = ${q.meaning!.vector.length}
          THEN ${similarity} ELSE 0 END AS meaning
      FROM memories,
        LATERAL to_tsvector('simple', content) AS tsv,
        plainto_tsquery('simple', ${q.text}) AS tq
      WHERE ${visible(q)}
    ), hits AS (
      SELECT * FROM m WHERE words > 0 OR meaning >= ${q.minSimilarity}
    )
    SELECT ${COLUMNS},
      ((1 - ${q.weight}::float8) * COALESCE(words / NULLIF(max(words) OVER (), 0), 0)
        + ${q.weight}::float8 * GREATEST(meaning, 0))::float8 AS score
    FROM hits
    ORDER BY score DESC, created_at DESC, id
    LIMIT ${q.limit} OFFSET ${q.offset}`;
}

export const sqlArrayIndex: MemoryIndex = {
  kind: "sql-array",
  search(db, q) {
    if (!q.meaning) return wordsOnly(db, q);
    const similarity = Prisma.sql`(SELECT sum(a * b) FROM unnest(embedding, ${q.meaning.vector}::real[]) AS v(a, b))::float8`;
    return hybrid(db, q, similarity);
  },
};

export const pgvectorIndex: MemoryIndex = {
  kind: "pgvector",
  search(db, q) {
    if (!q.meaning) return wordsOnly(db, q);
    const similarity = Prisma.sql`(1 - (embedding::vector <=> ${q.meaning.vector}::real[]::vector))::float8`;
    return hybrid(db, q, similarity);
  },
};

const found = () => singleton("memory-index", () => ({ index: undefined as MemoryIndex | undefined }));

/** pgvector when the database has the extension, else SQL over real[]; looked up once per process. */
export async function memoryIndex(db: Db): Promise<MemoryIndex> {
  const cache = found();
  if (!cache.index) {
    const rows = await db.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'vector'`;
    cache.index = rows[0]?.n ? pgvectorIndex : sqlArrayIndex;
  }
  return cache.index;
}
