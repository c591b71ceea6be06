-- DropIndex
DROP INDEX "messages_session_id_created_at_idx";

-- AlterTable
ALTER TABLE "messages" ADD COLUMN     "complete" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "position" BIGSERIAL NOT NULL,
ADD COLUMN     "tool_calls" JSONB;

-- AlterTable
ALTER TABLE "turns" ADD COLUMN     "completion_tokens" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "model" TEXT,
ADD COLUMN     "prompt_tokens" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "steps" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "user_id" UUID;

-- CreateIndex
CREATE INDEX "messages_session_id_position_idx" ON "messages"("session_id", "position");
