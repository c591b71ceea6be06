-- Memories the user can see (docs/memories.md): who saved one, where from, which model made its
-- vector, and vectors as real[] (half the size of double precision, what embedding models give).
-- Shared memories saved before authors were kept have none: only tenant admins may change them.
ALTER TABLE "memories" ADD COLUMN     "author_id" UUID,
ADD COLUMN     "embedding_model" TEXT,
ADD COLUMN     "message_id" UUID,
ADD COLUMN     "session_id" UUID,
ALTER COLUMN "embedding" SET DATA TYPE REAL[];

-- CreateIndex
CREATE INDEX "memories_tenant_id_user_id_created_at_idx" ON "memories"("tenant_id", "user_id", "created_at");

-- Search by words: schema.prisma cannot express an index on an expression, so it lives here only.
CREATE INDEX "memories_content_fts_idx" ON "memories" USING GIN (to_tsvector('simple', "content"));

-- The vector's signs as bits (positive, negative): the SQL search ranks candidates by their
-- ternary dot product (bit_count) and computes the exact similarity for those only. Generated
-- columns, so every writer (Prisma, scripts, raw SQL) stays consistent. (No semicolons inside
-- bodies: Prisma splits migration scripts on them.)
CREATE FUNCTION memory_embedding_signs(v real[], sign integer) RETURNS varbit
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT coalesce(string_agg(CASE WHEN sign(x)::integer = sign THEN '1' ELSE '0' END, '' ORDER BY i), '')::varbit FROM unnest(v) WITH ORDINALITY AS e(x, i) $$;

ALTER TABLE "memories"
  ADD COLUMN "embedding_pos" VARBIT GENERATED ALWAYS AS (memory_embedding_signs("embedding", 1)) STORED,
  ADD COLUMN "embedding_neg" VARBIT GENERATED ALWAYS AS (memory_embedding_signs("embedding", -1)) STORED;
