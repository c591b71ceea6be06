// Maintenance mode's part of the OpenAPI document (lib/api/openapi.ts spreads it in).
import type { z } from "zod";
import { maintenanceView, startMaintenanceBody } from "./schemas";

type Helpers = {
  schema: (t: z.ZodType, io?: "input" | "output") => Record<string, unknown>;
  json: (name: string) => unknown;
  errors: (...codes: number[]) => Record<string, unknown>;
};

export function maintenanceSchemas({ schema }: Helpers) {
  return {
    StartMaintenance: schema(startMaintenanceBody, "input"),
    Maintenance: schema(maintenanceView),
  };
}

export function maintenancePaths({ json, errors }: Helpers) {
  const change =
    "Admins of the deployment's own tenant only. Every open page shows the change at once; it is audited.";
  return {
    "/api/v1/admin/maintenance": {
      get: {
        summary: "Maintenance mode: on or off, its message and end",
        responses: {
          "200": { description: "The state", content: json("Maintenance") },
          ...errors(401, 503),
        },
      },
      post: {
        summary: "Switch maintenance mode on (or change its message or end)",
        description: `While it is on, new turns and voice calls are refused with 503 \`maintenance\` and Retry-After (running turns finish), and /readyz answers 503 \`draining\`. It ends by itself at \`until\` (in the future) if given. ${change}`,
        requestBody: { required: true, content: json("StartMaintenance") },
        responses: {
          "200": { description: "On", content: json("Maintenance") },
          ...errors(400, 401, 403, 415, 503),
        },
      },
      delete: {
        summary: "Switch maintenance mode off",
        description: change,
        responses: {
          "200": { description: "Off", content: json("Maintenance") },
          ...errors(401, 403, 503),
        },
      },
    },
  };
}
