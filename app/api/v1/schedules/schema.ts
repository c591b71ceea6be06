// The contract of /api/v1/schedules.
import { CreateSchedule, Schedule, ScheduleList } from "@/lib/api/components";
import { defineRoute } from "@/lib/api/contract";

export const contract = defineRoute("/api/v1/schedules", {
  get: {
    summary: "List schedules (the caller's; every schedule of the tenant for an admin)",
    responses: { 200: { description: "Schedules", body: ScheduleList } },
    errors: [401, 503],
  },
  post: {
    summary: "Create a schedule",
    description:
      "A prompt that runs as the caller's agent turn on a cron expression (five fields, in `timezone`) or once at `runAt`, in `sessionId` or a new session per run. Exactly one of `cron` and `runAt`; `runAt` must be ahead; `sessionId` must be a session the caller may post into. A bad cron expression, time zone, time or session is a 400 naming the field.",
    body: CreateSchedule,
    responses: { 201: { description: "Created", body: Schedule } },
    errors: [400, 401, 413, 415, 503],
  },
});
