// schedule.tick: the scheduler's clock. Each tick claims the schedules that are due, turning each due
// time into one run row, hands queued runs to schedule.fire, and records the outcome of runs whose
// turn has ended. Claims are atomic in Postgres, so any number of schedulers can tick side by side:
//  - a schedule is claimed by moving next_run_at forward only where it still holds the value read
//    (UPDATE … WHERE next_run_at = $old); a second scheduler's update matches no row;
//  - the run row is unique per (schedule, due time), a second guard against firing one time twice;
//  - the next time is counted from now, so fires missed while no scheduler ran become one run.
import { z } from "zod";
import type { Db } from "../server/db";
import { nextRunFor, type Timing } from "../schedules/cron";
import { logger } from "../server/logger";

export const SCHEDULE_TICK = "schedule.tick";
export const scheduleTickPayload = z.object({}).loose();

/** A run claimed this long ago whose turn never appeared lost its scheduler while starting. */
export const START_TIMEOUT_MS = 60_000;
const BATCH = 100;

export interface TickResult {
  claimed: number;
  enqueued: number;
  finished: number;
}

export async function tick(
  db: Db,
  enqueueRun: (runId: string) => Promise<void>,
  now: Date = new Date(),
): Promise<TickResult> {
  await initialiseNextRuns(db, now);
  const claimed = await claimDue(db, now);
  const queued = await db.scheduleRun.findMany({
    where: { status: "queued" },
    orderBy: { dueAt: "asc" },
    take: BATCH,
    select: { id: true },
  });
  for (const r of queued) await enqueueRun(r.id);
  const finished = await recordFinishedRuns(db, now);
  return { claimed, enqueued: queued.length, finished };
}

/** The next time, or null (it stops) for an expression written past the API's validation. */
function nextOrNull(s: Timing & { id: string }, now: Date): Date | null {
  try {
    return nextRunFor(s, now);
  } catch (err) {
    logger().warn(
      { scheduleId: s.id, cron: s.cron, err: (err as Error).message },
      "schedule has a bad cron expression",
    );
    return null;
  }
}

/** Schedules written without a next time (by hand, or before this column existed) get one. */
async function initialiseNextRuns(db: Db, now: Date): Promise<void> {
  const rows = await db.schedule.findMany({
    where: { enabled: true, nextRunAt: null, cron: { not: null } },
    select: { id: true, cron: true, timezone: true, runAt: true },
    take: BATCH,
  });
  for (const s of rows) {
    await db.schedule.updateMany({
      where: { id: s.id, nextRunAt: null },
      data: { nextRunAt: nextOrNull(s, now) },
    });
  }
}

async function claimDue(db: Db, now: Date): Promise<number> {
  const due = await db.schedule.findMany({
    where: { enabled: true, nextRunAt: { lte: now } },
    orderBy: { nextRunAt: "asc" },
    take: BATCH,
    select: { id: true, cron: true, timezone: true, runAt: true, nextRunAt: true },
  });
  let claimed = 0;
  for (const s of due) {
    const dueAt = s.nextRunAt!;
    // A one-off fires once; a cron schedule's next time is the first one after now.
    const next = s.cron ? nextOrNull(s, now) : null;
    const won = await db.$transaction(async (tx) => {
      const moved = await tx.schedule.updateMany({
        where: { id: s.id, enabled: true, nextRunAt: dueAt },
        data: { nextRunAt: next, lastRunAt: now },
      });
      if (moved.count !== 1) return false;
      const created = await tx.scheduleRun.createMany({
        data: [{ scheduleId: s.id, dueAt, status: "queued" }],
        skipDuplicates: true,
      });
      return created.count === 1;
    });
    if (won) claimed++;
  }
  return claimed;
}

/** Runs whose turn has ended take its outcome; runs whose turn never started are failed. */
async function recordFinishedRuns(db: Db, now: Date): Promise<number> {
  const running = await db.scheduleRun.findMany({
    where: { status: "running" },
    select: { id: true, turnId: true, startedAt: true },
    take: BATCH * 5,
  });
  if (!running.length) return 0;
  const turnIds = running.flatMap((r) => (r.turnId ? [r.turnId] : []));
  const turns = new Map(
    (
      await db.turn.findMany({
        where: { id: { in: turnIds } },
        select: { id: true, status: true, error: true, finishedAt: true },
      })
    ).map((t) => [t.id, t]),
  );
  let n = 0;
  for (const r of running) {
    const turn = r.turnId ? turns.get(r.turnId) : undefined;
    let outcome: { status: "succeeded" | "failed"; error: string | null; finishedAt: Date } | undefined;
    if (turn && turn.status !== "running")
      outcome = {
        status: turn.status === "completed" ? "succeeded" : "failed",
        error: turn.status === "completed" ? null : (turn.error ?? `the turn was ${turn.status}`),
        finishedAt: turn.finishedAt ?? now,
      };
    else if (!turn && r.startedAt.getTime() < now.getTime() - START_TIMEOUT_MS)
      outcome = {
        status: "failed",
        error: "The scheduler stopped while starting this run.",
        finishedAt: now,
      };
    if (!outcome) continue;
    const changed = await db.scheduleRun.updateMany({
      where: { id: r.id, status: "running" },
      data: outcome,
    });
    n += changed.count;
  }
  return n;
}

/** The outcome of one run whose turn has just ended (the firing scheduler's own, without waiting a tick). */
export async function recordRunOutcome(db: Db, runId: string): Promise<void> {
  const run = await db.scheduleRun.findUnique({ where: { id: runId }, select: { turnId: true } });
  if (!run?.turnId) return;
  const turn = await db.turn.findUnique({
    where: { id: run.turnId },
    select: { status: true, error: true, finishedAt: true },
  });
  if (!turn || turn.status === "running") return;
  await db.scheduleRun.updateMany({
    where: { id: runId, status: "running" },
    data: {
      status: turn.status === "completed" ? "succeeded" : "failed",
      error: turn.status === "completed" ? null : (turn.error ?? `the turn was ${turn.status}`),
      finishedAt: turn.finishedAt ?? new Date(),
    },
  });
}
