// The contract of POST /api/v1/schedules/{id}/run.
import { ScheduleRun } from "@/lib/api/components";
import { defineRoute, uuidParam } from "@/lib/api/contract";

export const contract = defineRoute(
  "/api/v1/schedules/{id}/run",
  {
    post: {
      summary: "Run a schedule now",
      description: "Queues a run; the scheduler starts its turn at its next tick. Its outcome is in …/runs.",
      responses: { 202: { description: "Queued", body: ScheduleRun } },
      errors: [401, 404, 503],
    },
  },
  { params: { id: uuidParam } },
);
