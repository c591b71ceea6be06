-- Schedules get an owner (the user whose turn a run is), an optional session (null: a new one per
-- run), one-off times and the next due time that schedulers claim. Runs get their due time (unique
-- per schedule, so a run is never fired twice), attempts and the session they posted into.

-- AlterTable
ALTER TABLE "schedules" ADD COLUMN "owner_id" UUID,
ADD COLUMN "run_at" TIMESTAMP(3),
ADD COLUMN "next_run_at" TIMESTAMP(3),
ALTER COLUMN "session_id" DROP NOT NULL,
ALTER COLUMN "cron" DROP NOT NULL;

-- Existing schedules belong to their session's owner.
UPDATE "schedules" AS s SET "owner_id" = se."owner_id" FROM "sessions" AS se WHERE se."id" = s."session_id";
DELETE FROM "schedules" WHERE "owner_id" IS NULL;
ALTER TABLE "schedules" ALTER COLUMN "owner_id" SET NOT NULL;

-- AlterTable
ALTER TABLE "schedule_runs" ADD COLUMN "due_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN "manual" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN "attempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "session_id" UUID;
UPDATE "schedule_runs" SET "due_at" = "started_at";

-- CreateIndex
CREATE INDEX "schedules_enabled_next_run_at_idx" ON "schedules"("enabled", "next_run_at");

-- CreateIndex
CREATE UNIQUE INDEX "schedule_runs_schedule_id_due_at_key" ON "schedule_runs"("schedule_id", "due_at");

-- CreateIndex
CREATE INDEX "schedule_runs_status_idx" ON "schedule_runs"("status");

-- AddForeignKey
ALTER TABLE "schedules" ADD CONSTRAINT "schedules_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
