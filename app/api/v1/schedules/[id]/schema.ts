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
