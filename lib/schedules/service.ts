// Schedules for a caller: create, list, read, change, delete, run now, and their runs. Access is
// decided by OpenFGA (lib/authz/schedule-access.ts): the owner and the tenant's admins manage a
// schedule; for anyone else, or another tenant, it does not exist (404). A schedule's session must be
// one its owner may write to, checked when it is set and again at every run.
import type { Principal } from "../auth/principal";
import { AppError } from "../errors";
import { canManageSchedule, grantNewSchedule, revokeSchedule } from "../authz/schedule-access";
import { checkSession } from "../authz/session-access";
import { isUuid } from "../ids";
import { db } from "../server/db";
import { logger } from "../server/logger";
import { redis } from "../server/redis";
import { nextRunFor } from "./cron";
import { describeCron } from "./describe-cron";
import type { CreateScheduleBody, ScheduleRunView, ScheduleView, UpdateScheduleBody } from "./schemas";

const RUN_FIELDS = {
  id: true,
  scheduleId: true,
  dueAt: true,
  manual: true,
  status: true,
  attempts: true,
  sessionId: true,
  turnId: true,
  error: true,
  startedAt: true,
  finishedAt: true,
} as const;

const SCHEDULE_FIELDS = {
  id: true,
  tenantId: true,
  ownerId: true,
  name: true,
  prompt: true,
  cron: true,
  timezone: true,
  runAt: true,
  sessionId: true,
  enabled: true,
  nextRunAt: true,
  lastRunAt: true,
  createdAt: true,
  updatedAt: true,
  runs: { select: RUN_FIELDS, orderBy: { startedAt: "desc" }, take: 1 },
} as const;

type RunRow = {
  id: string;
  scheduleId: string;
  dueAt: Date;
  manual: boolean;
  status: ScheduleRunView["status"];
  attempts: number;
  sessionId: string | null;
  turnId: string | null;
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function runView(r: RunRow): ScheduleRunView {
  return {
    ...r,
    dueAt: r.dueAt.toISOString(),
    startedAt: r.startedAt.toISOString(),
    finishedAt: iso(r.finishedAt),
  };
}

type ScheduleRow = {
  id: string;
  ownerId: string;
  name: string;
  prompt: string;
  cron: string | null;
  timezone: string;
  runAt: Date | null;
  sessionId: string | null;
  enabled: boolean;
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  runs: RunRow[];
};

function view(s: ScheduleRow): ScheduleView {
  return {
    id: s.id,
    name: s.name,
    prompt: s.prompt,
    cron: s.cron,
    timezone: s.timezone,
    runAt: iso(s.runAt),
    sessionId: s.sessionId,
    enabled: s.enabled,
    ownerId: s.ownerId,
    description: s.cron
      ? describeCron(s.cron, s.timezone)
      : `once at ${s.runAt?.toISOString() ?? "an unset time"}`,
    nextRunAt: iso(s.enabled ? s.nextRunAt : null),
    lastRunAt: iso(s.lastRunAt),
    lastRun: s.runs[0] ? runView(s.runs[0]) : null,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

const notFound = () => new AppError("not_found", "No such schedule.");
const invalid = (field: string, message: string) =>
  new AppError("invalid_request", `Invalid request body: ${field}: ${message}`, {
    details: [{ field, message }],
  });

/** The schedule if the caller may manage it; 404 otherwise (existence is not revealed). */
async function scheduleRow(principal: Principal, id: string) {
  if (!isUuid(id)) throw notFound();
  const s = await db().schedule.findFirst({
    where: { id, tenantId: principal.tenantId },
    select: SCHEDULE_FIELDS,
  });
  if (!s || !(await canManageSchedule(principal.userId, id))) throw notFound();
  return s;
}

/** A session named for a schedule must be one the schedule's owner may post into. */
async function checkScheduleSession(tenantId: string, ownerId: string, sessionId: string): Promise<void> {
  const s = await db().session.findFirst({
    where: { id: sessionId, tenantId, deletedAt: null },
    select: { id: true },
  });
  if (!s || !(await checkSession(ownerId, sessionId, "write")))
    throw invalid("sessionId", "no such session that the schedule's owner may post into");
}

/** Exactly one of cron and runAt; a one-off time must still be ahead. */
function checkTiming(cron: string | null, runAt: Date | null, now: Date, runAtChanged: boolean): void {
  if (cron && runAt)
    throw invalid("cron", "give either a cron expression (cron) or a one-off time (runAt), not both");
  if (!cron && !runAt)
    throw invalid("cron", "give a cron expression (cron) or a one-off time (runAt): a schedule needs one");
  if (runAt && runAtChanged && runAt <= now) throw invalid("runAt", "must be in the future");
}

export async function createSchedule(principal: Principal, body: CreateScheduleBody): Promise<ScheduleView> {
  const now = new Date();
  const cron = body.cron ?? null;
  const runAt = body.runAt ? new Date(body.runAt) : null;
  checkTiming(cron, runAt, now, true);
  if (body.sessionId) await checkScheduleSession(principal.tenantId, principal.userId, body.sessionId);
  const s = await db().schedule.create({
    data: {
      tenantId: principal.tenantId,
      ownerId: principal.userId,
      name: body.name,
      prompt: body.prompt,
      cron,
      timezone: body.timezone,
      runAt,
      sessionId: body.sessionId ?? null,
      enabled: body.enabled,
      nextRunAt: nextRunFor({ cron, timezone: body.timezone, runAt }, now),
    },
    select: SCHEDULE_FIELDS,
  });
  try {
    await grantNewSchedule(principal.tenantId, principal.userId, s.id);
  } catch (err) {
    await db()
      .schedule.delete({ where: { id: s.id } })
      .catch(() => undefined); // the 503 below is what matters; a leftover row is invisible without tuples
    throw err;
  }
  return view(s);
}

/** The owner's schedules; a tenant admin sees every schedule of the tenant. */
export async function listSchedules(principal: Principal): Promise<{ items: ScheduleView[] }> {
  const rows = await db().schedule.findMany({
    where: {
      tenantId: principal.tenantId,
      ...(principal.role === "admin" ? {} : { ownerId: principal.userId }),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: 500,
    select: SCHEDULE_FIELDS,
  });
  return { items: rows.map(view) };
}

export async function getSchedule(principal: Principal, id: string): Promise<ScheduleView> {
  return view(await scheduleRow(principal, id));
}

export async function updateSchedule(
  principal: Principal,
  id: string,
  patch: UpdateScheduleBody,
): Promise<ScheduleView> {
  const s = await scheduleRow(principal, id);
  const now = new Date();
  const cron = patch.cron !== undefined ? patch.cron : s.cron;
  const runAt = patch.runAt !== undefined ? (patch.runAt ? new Date(patch.runAt) : null) : s.runAt;
  const timezone = patch.timezone ?? s.timezone;
  const enabled = patch.enabled ?? s.enabled;
  checkTiming(cron, runAt, now, patch.runAt !== undefined);
  if (patch.sessionId) await checkScheduleSession(principal.tenantId, s.ownerId, patch.sessionId);
  const timingChanged =
    patch.cron !== undefined ||
    patch.runAt !== undefined ||
    patch.timezone !== undefined ||
    (patch.enabled === true && !s.enabled);
  // Re-timed or re-enabled: counted from now, so time spent disabled is not made up for.
  // A one-off that already ran (or whose time passed while disabled) does not run again.
  let nextRunAt = s.nextRunAt;
  if (timingChanged) {
    nextRunAt = nextRunFor({ cron, timezone, runAt }, now);
    if (!cron && runAt && runAt <= now) nextRunAt = null;
  }
  const updated = await db().schedule.update({
    where: { id },
    data: {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.prompt !== undefined ? { prompt: patch.prompt } : {}),
      ...(patch.sessionId !== undefined ? { sessionId: patch.sessionId } : {}),
      cron,
      runAt,
      timezone,
      enabled,
      nextRunAt,
    },
    select: SCHEDULE_FIELDS,
  });
  return view(updated);
}

export async function deleteSchedule(principal: Principal, id: string): Promise<void> {
  const s = await scheduleRow(principal, id);
  await db().schedule.delete({ where: { id }, select: { id: true } });
  await revokeSchedule(principal.tenantId, s.ownerId, id);
}

/** Schedulers listen here for runs queued by "run now", so they need not wait for their next tick. */
export const RUN_QUEUED_CHANNEL = "scheduler:run-queued";

/** Queues a run due now and tells the schedulers (the owner's turn, as on the clock). */
export async function runScheduleNow(principal: Principal, id: string): Promise<ScheduleRunView> {
  await scheduleRow(principal, id);
  const run = await db().scheduleRun.create({
    data: { scheduleId: id, dueAt: new Date(), manual: true, status: "queued" },
    select: RUN_FIELDS,
  });
  // Without the nudge the run still starts, at the next tick: a Redis hiccup is worth a warning only.
  await redis()
    .publish(RUN_QUEUED_CHANNEL, run.id)
    .catch((err: unknown) =>
      logger().warn({ err: (err as Error).message, runId: run.id }, "could not nudge the schedulers"),
    );
  return runView(run);
}

export async function listRuns(
  principal: Principal,
  id: string,
  limit: number,
): Promise<{ items: ScheduleRunView[] }> {
  await scheduleRow(principal, id);
  const runs = await db().scheduleRun.findMany({
    where: { scheduleId: id },
    orderBy: [{ startedAt: "desc" }, { id: "desc" }],
    take: limit,
    select: RUN_FIELDS,
  });
  return { items: runs.map(runView) };
}
