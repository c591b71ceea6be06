// schedule.fire: a saved schedule's prompt lands in its session as a user message, with a run row.
// The agent loop answers new user messages; the run records when and whether the prompt was delivered.
import { z } from "zod";
import type { Db } from "../server/db";

export const SCHEDULE_QUEUE = "somaagent.schedules";
export const SCHEDULE_FIRE = "schedule.fire";
export const scheduleFirePayload = z.object({ scheduleId: z.uuid() });

export async function fireSchedule(
  db: Db,
  payload: unknown,
): Promise<{ runId: string; messageId: string } | null> {
  const { scheduleId } = scheduleFirePayload.parse(payload);
  const schedule = await db.schedule.findUnique({
    where: { id: scheduleId },
    select: {
      id: true,
      enabled: true,
      prompt: true,
      sessionId: true,
      session: { select: { deletedAt: true } },
    },
  });
  if (!schedule || !schedule.enabled || schedule.session.deletedAt) return null;
  return db.$transaction(async (tx) => {
    const run = await tx.scheduleRun.create({
      data: { scheduleId, status: "running" },
      select: { id: true },
    });
    const message = await tx.message.create({
      data: { sessionId: schedule.sessionId, role: "user", content: schedule.prompt },
      select: { id: true },
    });
    await tx.scheduleRun.update({
      where: { id: run.id },
      data: { status: "succeeded", finishedAt: new Date() },
    });
    await tx.schedule.update({ where: { id: scheduleId }, data: { lastRunAt: new Date() } });
    return { runId: run.id, messageId: message.id };
  });
}
