// The contract of GET /api/v1/schedules/{id}/runs.
import { ScheduleRunList } from "@/lib/api/components";
import { defineRoute, uuidParam } from "@/lib/api/contract";
import { listRunsQuery } from "@/lib/schedules/schemas";

export const contract = defineRoute(
  "/api/v1/schedules/{id}/runs",
  {
    get: {
      summary: "A schedule's runs, newest first, each with its session, turn, status and error",
      query: listRunsQuery,
      responses: { 200: { description: "Runs", body: ScheduleRunList } },
      errors: [400, 401, 404, 503],
    },
  },
  { params: { id: uuidParam } },
);
