// The schedules' part of the OpenAPI document (lib/api/openapi.ts spreads it in).
import { z } from "zod";
import * as s from "./schemas";

type Helpers = {
  schema: (t: z.ZodType, io?: "input" | "output") => Record<string, unknown>;
  json: (name: string) => unknown;
  errors: (...codes: number[]) => Record<string, unknown>;
  idParam: unknown;
};

export function scheduleSchemas({ schema }: Helpers) {
  return {
    CreateSchedule: schema(s.createScheduleBody, "input"),
    UpdateSchedule: schema(s.updateScheduleBody, "input"),
    Schedule: schema(s.scheduleView),
    ScheduleList: schema(z.object({ items: z.array(s.scheduleView) })),
    ScheduleRun: schema(s.scheduleRunView),
    ScheduleRunList: schema(z.object({ items: z.array(s.scheduleRunView) })),
  };
}

export function schedulePaths({ json, errors, idParam }: Helpers) {
  return {
    "/api/v1/schedules": {
      get: {
        summary: "List schedules (the caller's; every schedule of the tenant for an admin)",
        responses: {
          "200": { description: "Schedules", content: json("ScheduleList") },
          ...errors(401, 503),
        },
      },
      post: {
        summary: "Create a schedule",
        description:
          "A prompt that runs as the caller's agent turn on a cron expression (five fields, in `timezone`) or once at `runAt`, in `sessionId` or a new session per run. A bad cron expression, time zone or session is a 400 naming the field.",
        requestBody: { required: true, content: json("CreateSchedule") },
        responses: {
          "201": { description: "Created", content: json("Schedule") },
          ...errors(400, 401, 415, 503),
        },
      },
    },
    "/api/v1/schedules/{id}": {
      parameters: [idParam],
      get: {
        summary: "A schedule with its next run and last run",
        responses: {
          "200": { description: "The schedule", content: json("Schedule") },
          ...errors(401, 404, 503),
        },
      },
      patch: {
        summary: "Change a schedule (re-timing or enabling counts the next run from now)",
        requestBody: { required: true, content: json("UpdateSchedule") },
        responses: {
          "200": { description: "Changed", content: json("Schedule") },
          ...errors(400, 401, 404, 415, 503),
        },
      },
      delete: {
        summary: "Delete a schedule and its run history",
        responses: { "204": { description: "Deleted" }, ...errors(401, 404, 503) },
      },
    },
    "/api/v1/schedules/{id}/run": {
      parameters: [idParam],
      post: {
        summary: "Run a schedule now",
        description:
          "Queues a run; the scheduler starts its turn at its next tick. Its outcome is in …/runs.",
        responses: {
          "202": { description: "Queued", content: json("ScheduleRun") },
          ...errors(401, 404, 503),
        },
      },
    },
    "/api/v1/schedules/{id}/runs": {
      parameters: [idParam],
      get: {
        summary: "A schedule's runs, newest first, each with its session, turn, status and error",
        parameters: [
          { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 100, default: 20 } },
        ],
        responses: {
          "200": { description: "Runs", content: json("ScheduleRunList") },
          ...errors(400, 401, 404, 503),
        },
      },
    },
  };
}
