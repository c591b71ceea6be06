// Ranked memory search behind one interface, two implementations:
// - "sql-array": vectors are Postgres real[]; the caller's visible rows are ranked by the ternary
//   dot product of the vectors' signs (generated bit columns), and the exact similarity (a dot
//   product of normalised vectors) is computed in SQL for the best candidateCount() of them and
//   for the rows with every query word. Works on any Postgres (Debian has no pgvector).
// - "pgvector": the nearest rows and their similarity by pgvector's cosine distance on the same
//   real[] column cast to vector (exact, in C); chosen when the database has the extension (an
//   image such as pgvector/pgvector; compose and Helm do not ship one yet).
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
  /** Rows nearest in meaning to score (default candidateCount()); the bench sets all for an exact ranking. */
  candidates?: number;
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

/**
 * Words and meaning. The rows scored are those with every query word (the full-text index finds
 * them) and the candidateCount() rows nearest in meaning by `nearest` (an ordering, best first);
 * `similarity` is then computed for the candidates only. Every CTE is materialised so nothing is
 * computed twice, and JIT is off for the statement: compiling it costs more than the query.
 */
function hybrid(db: Db, q: MemorySearch, nearest: Prisma.Sql, similarity: Prisma.Sql): Promise<MemoryRow[]> {
  const { model, vector } = q.meaning!;
  const tq = Prisma.sql`plainto_tsquery('simple', ${q.text})`;
  const query = db.$queryRaw<MemoryRow[]>`
    WITH cand AS MATERIALIZED (
      SELECT id FROM memories
      WHERE ${visible(q)} AND embedding_model = ${model} AND cardinality(embedding) = ${vector.length}
      ORDER BY ${nearest}, created_at DESC
      LIMIT ${candidateCount(q)}
    ), said AS MATERIALIZED (
      SELECT id FROM memories WHERE ${visible(q)} AND to_tsvector('simple', content) @@ ${tq}
    ), m AS MATERIALIZED (
      SELECT ${COLUMNS},
        CASE WHEN id IN (SELECT id FROM said) THEN ts_rank(to_tsvector('simple', content), ${tq})::float8 ELSE 0 END AS words,
        CASE WHEN id IN (SELECT id FROM cand) THEN ${similarity} ELSE 0 END AS meaning
      FROM memories
      WHERE ${visible(q)} AND (id IN (SELECT id FROM said) OR id IN (SELECT id FROM cand))
    ), hits AS (
      SELECT * FROM m WHERE words > 0 OR meaning >= ${q.minSimilarity}
    )
    SELECT ${COLUMNS},
      ((1 - ${q.weight}::float8) * COALESCE(words / NULLIF(max(words) OVER (), 0), 0)
        + ${q.weight}::float8 * GREATEST(meaning, 0))::float8 AS score
    FROM hits
    ORDER BY score DESC, created_at DESC, id
    LIMIT ${q.limit} OFFSET ${q.offset}`;
  return db.$transaction([db.$executeRaw`SET LOCAL jit = off`, query]).then(([, rows]) => rows);
}

/** The vector's signs as bit strings, as the generated columns embedding_pos/embedding_neg hold them. */
export function signBits(vector: number[]): { pos: string; neg: string } {
  return {
    pos: vector.map((x) => (x > 0 ? "1" : "0")).join(""),
    neg: vector.map((x) => (x < 0 ? "1" : "0")).join(""),
  };
}

/** Rows nearest in meaning that are scored: enough for the page asked for, several times over. */
export const candidateCount = (q: Pick<MemorySearch, "limit" | "offset" | "candidates">) =>
  q.candidates ?? Math.max(200, 8 * (q.offset + q.limit));

export const sqlArrayIndex: MemoryIndex = {
  kind: "sql-array",
  search(db, q) {
    if (!q.meaning) return wordsOnly(db, q);
    const { vector } = q.meaning;
    const { pos, neg } = signBits(vector);
    // Nearest by the ternary dot product of the signs (bit operations on the generated columns:
    // fast), then the exact similarity for those: a dot product over real[] costs ~50 µs a row.
    const nearest = Prisma.sql`bit_count((embedding_pos & ${pos}::varbit) | (embedding_neg & ${neg}::varbit))
      - bit_count((embedding_pos & ${neg}::varbit) | (embedding_neg & ${pos}::varbit)) DESC`;
    const similarity = Prisma.sql`(SELECT sum(a * b) FROM unnest(embedding, ${vector}::real[]) AS v(a, b))::float8`;
    return hybrid(db, q, nearest, similarity);
  },
};

export const pgvectorIndex: MemoryIndex = {
  kind: "pgvector",
  search(db, q) {
    if (!q.meaning) return wordsOnly(db, q);
    const v = Prisma.sql`${q.meaning.vector}::real[]::vector`;
    return hybrid(
      db,
      q,
      Prisma.sql`embedding::vector <=> ${v}`,
      Prisma.sql`(1 - (embedding::vector <=> ${v}))::float8`,
    );
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
