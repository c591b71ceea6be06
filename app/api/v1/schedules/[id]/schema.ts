// The contract of /api/v1/schedules/{id}.
import { Schedule, UpdateSchedule } from "@/lib/api/components";
import { defineRoute, uuidParam } from "@/lib/api/contract";

export const contract = defineRoute(
  "/api/v1/schedules/{id}",
  {
    get: {
      summary: "A schedule with its next run and last run",
      responses: { 200: { description: "The schedule", body: Schedule } },
      errors: [401, 404, 503],
    },
    patch: {
      summary: "Change a schedule (re-timing or enabling counts the next run from now)",
      description:
        "A schedule has exactly one of `cron` and `runAt`: switching a one-off schedule to a cron expression sets `runAt` to null in the same change, and the other way round. A new `runAt` must be ahead; a `sessionId` must be a session the owner may post into. Each refusal is a 400 naming the field.",
      body: UpdateSchedule,
      responses: { 200: { description: "Changed", body: Schedule } },
      errors: [400, 401, 404, 413, 415, 503],
    },
    delete: {
      summary: "Delete a schedule and its run history",
      responses: { 204: { description: "Deleted" } },
      errors: [401, 404, 503],
    },
  },
  { params: { id: uuidParam } },
);
