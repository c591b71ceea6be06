-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "sandbox_slot" SERIAL NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "sessions_sandbox_slot_key" ON "sessions"("sandbox_slot");
