-- AlterTable
ALTER TABLE "tool_calls" ADD COLUMN     "claimed_by" TEXT;
