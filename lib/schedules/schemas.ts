// The public shapes of schedules and their runs: request bodies are validated with these (a bad cron
// expression or time zone is a 400 naming the field), responses are built to them, and the OpenAPI
// document is generated from them.
import { z } from "zod";
import { requiredText } from "../api/text-field";
import { cronProblem, isTimeZone } from "./cron";

const MAX_PROMPT_CHARS = 32_000;

const cron = z
  .string()
  .trim()
  .max(200)
  .superRefine((v, ctx) => {
    const problem = cronProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: `not a valid cron expression: ${problem}` });
  });
const timezone = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .refine(isTimeZone, "not a known time zone (an IANA name such as Europe/Berlin, or UTC)");

const fields = {
  name: requiredText(200),
  prompt: requiredText(MAX_PROMPT_CHARS, "must not be empty"),
  /** Five fields, minute first, read in `timezone`. Give this or runAt. */
  cron: cron.nullable(),
  timezone,
  /** A one-off time (ISO 8601 with an offset). Give this or cron. */
  runAt: z.iso.datetime({ offset: true }).nullable(),
  /** The session each run posts into; null or absent: a new session per run. */
  sessionId: z.uuid().nullable(),
  enabled: z.boolean(),
};

export const createScheduleBody = z
  .object({
    name: fields.name,
    prompt: fields.prompt,
    cron: fields.cron.optional(),
    timezone: fields.timezone.default("UTC"),
    runAt: fields.runAt.optional(),
    sessionId: fields.sessionId.optional(),
    enabled: fields.enabled.default(true),
  })
  .strict()
  // Exactly one of the two timings (the handler says which rule a body breaks, naming the field).
  .meta({
    oneOf: [
      { required: ["cron"], properties: { cron: { type: "string" } } },
      { required: ["runAt"], properties: { runAt: { type: "string" } } },
    ],
  });
export type CreateScheduleBody = z.infer<typeof createScheduleBody>;

export const updateScheduleBody = z.object(fields).partial().strict();
export type UpdateScheduleBody = z.infer<typeof updateScheduleBody>;

export const listRunsQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) });

export const scheduleRunView = z.object({
  id: z.uuid(),
  scheduleId: z.uuid(),
  dueAt: z.iso.datetime(),
  manual: z.boolean(),
  status: z.enum(["queued", "running", "succeeded", "failed"]),
  attempts: z.number().int(),
  sessionId: z.uuid().nullable(),
  turnId: z.uuid().nullable(),
  error: z.string().nullable(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
});
export type ScheduleRunView = z.infer<typeof scheduleRunView>;

export const scheduleView = z.object({
  id: z.uuid(),
  name: z.string(),
  prompt: z.string(),
  cron: z.string().nullable(),
  timezone: z.string(),
  runAt: z.iso.datetime().nullable(),
  sessionId: z.uuid().nullable(),
  enabled: z.boolean(),
  ownerId: z.uuid(),
  /** The timing in words ("every weekday at 09:00 Europe/Berlin"). */
  description: z.string(),
  nextRunAt: z.iso.datetime().nullable(),
  lastRunAt: z.iso.datetime().nullable(),
  lastRun: scheduleRunView.nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type ScheduleView = z.infer<typeof scheduleView>;
