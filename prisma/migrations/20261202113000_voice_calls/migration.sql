-- CreateEnum
CREATE TYPE "MessageSource" AS ENUM ('text', 'voice');

-- AlterTable
ALTER TABLE "messages" ADD COLUMN     "source" "MessageSource" NOT NULL DEFAULT 'text',
ADD COLUMN     "voice" JSONB;

-- CreateTable
CREATE TABLE "voice_calls" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "user_id" UUID,
    "session_id" UUID NOT NULL,
    "mode" TEXT NOT NULL DEFAULT 'cascaded',
    "started_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ended_at" TIMESTAMP(3),
    "end_reason" TEXT,
    "audio_seconds" DOUBLE PRECISION NOT NULL DEFAULT 0,

    CONSTRAINT "voice_calls_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "voice_calls_tenant_id_started_at_idx" ON "voice_calls"("tenant_id", "started_at");

-- CreateIndex
CREATE INDEX "voice_calls_session_id_started_at_idx" ON "voice_calls"("session_id", "started_at");

-- AddForeignKey
ALTER TABLE "voice_calls" ADD CONSTRAINT "voice_calls_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "voice_calls" ADD CONSTRAINT "voice_calls_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "voice_calls" ADD CONSTRAINT "voice_calls_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

