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
