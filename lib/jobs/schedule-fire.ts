// schedule.fire: starts one queued run as an agent turn of the schedule's owner, through the same
// path as a typed message (turns().start: admission, budget, tools, persistence). The run is claimed
// first (queued → running, only where still queued), so two schedulers never start it twice; its turn
// id is written before the turn starts. A start that fails for a passing reason (a turn already
// running in the session, a service down) puts the run back in the queue and throws, so the queue
// retries it with backoff; a refusal (owner disabled, session gone, over budget) fails it at once.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Principal } from "../auth/principal";
import { AppError, toAppError } from "../errors";
import type { Db } from "../server/db";
import { logger } from "../server/logger";
import { turns } from "../agent/turns";
import { createSession, sessionFor } from "../sessions/service";
import { recordRunOutcome } from "./schedule-tick";

export const SCHEDULE_QUEUE = "somaagent.schedules";
export const SCHEDULE_FIRE = "schedule.fire";
export const scheduleFirePayload = z.object({ runId: z.uuid() });

const RETRYABLE = new Set(["conflict", "unavailable", "rate_limited", "internal"]);

export type FireOutcome =
  | { status: "started"; runId: string; turnId: string; sessionId: string }
  | { status: "skipped"; runId: string; reason: string }
  | { status: "failed"; runId: string; error: string };

export async function fireRun(
  db: Db,
  payload: unknown,
  attempt: { made: number; max: number },
): Promise<FireOutcome> {
  const { runId } = scheduleFirePayload.parse(payload);
  const turnId = randomUUID();
  const claimed = await db.scheduleRun.updateMany({
    where: { id: runId, status: "queued" },
    data: { status: "running", turnId, attempts: { increment: 1 }, startedAt: new Date(), error: null },
  });
  if (claimed.count === 0) return { status: "skipped", runId, reason: "not queued (taken or done)" };
  const run = await db.scheduleRun.findUniqueOrThrow({
    where: { id: runId },
    select: {
      attempts: true,
      schedule: {
        select: {
          id: true,
          name: true,
          prompt: true,
          sessionId: true,
          owner: { select: { id: true, tenantId: true, role: true, email: true, disabledAt: true } },
        },
      },
    },
  });
  const { schedule } = run;
  const log = logger().child({ runId, scheduleId: schedule.id, turnId });
  try {
    if (schedule.owner.disabledAt)
      throw new AppError("forbidden", "The schedule's owner is disabled; the run was not started.");
    const principal: Principal = {
      kind: "schedule",
      userId: schedule.owner.id,
      tenantId: schedule.owner.tenantId,
      role: schedule.owner.role,
      email: schedule.owner.email,
      scheduleId: schedule.id,
    };
    const session = schedule.sessionId
      ? await sessionFor(principal, schedule.sessionId, "write")
      : await sessionForThisRun(db, principal, runId, schedule.name);
    await db.scheduleRun.update({ where: { id: runId }, data: { sessionId: session.id } });
    await turns().start(principal, session, schedule.prompt, { turnId });
    log.info({ sessionId: session.id }, "schedule run started its turn");
    await turns().active.get(turnId)?.done;
    await recordRunOutcome(db, runId);
    return { status: "started", runId, turnId, sessionId: session.id };
  } catch (err) {
    const e = toAppError(err);
    const retry = RETRYABLE.has(e.code) && run.attempts < attempt.max;
    // An unexpected error's own text may name internals: the run says only that it happened.
    const error =
      e.code === "internal" ? "The turn could not be started (the scheduler logged why)." : e.message;
    if (e.code === "internal") log.error({ err }, "schedule run could not start its turn");
    await db.scheduleRun.updateMany({
      where: { id: runId, status: "running", turnId },
      data: retry
        ? { status: "queued", turnId: null, error }
        : { status: "failed", error, finishedAt: new Date() },
    });
    if (retry) {
      log.warn(
        { err: e.message, code: e.code, attempt: run.attempts },
        "schedule run did not start; retrying",
      );
      throw new Error(`run ${runId} did not start (${e.code}): ${e.message}`, { cause: err });
    }
    log.warn({ err: e.message, code: e.code, attempts: run.attempts }, "schedule run failed to start");
    return { status: "failed", runId, error };
  }
}

/** A run without a session gets its own, named after the schedule; a retry reuses the one it made. */
async function sessionForThisRun(db: Db, principal: Principal, runId: string, name: string) {
  const made = await db.scheduleRun.findUnique({ where: { id: runId }, select: { sessionId: true } });
  if (made?.sessionId) return sessionFor(principal, made.sessionId, "write");
  const s = await createSession(principal, name);
  return { id: s.id, title: s.title };
}
