// The contract of /api/v1/admin/maintenance.
import { Maintenance, StartMaintenance } from "@/lib/api/components";
import { defineRoute } from "@/lib/api/contract";

const change =
  "Admins of the deployment's own tenant only. Every open page shows the change at once; it is audited.";

export const contract = defineRoute("/api/v1/admin/maintenance", {
  get: {
    summary: "Maintenance mode: on or off, its message and end",
    responses: { 200: { description: "The state", body: Maintenance } },
    errors: [401, 503],
  },
  post: {
    summary: "Switch maintenance mode on (or change its message or end)",
    description: `While it is on, new turns and voice calls are refused with 503 \`maintenance\` and Retry-After (running turns finish), and /readyz answers 503 \`draining\`. It ends by itself at \`until\` (in the future) if given. ${change}`,
    body: StartMaintenance,
    responses: { 200: { description: "On", body: Maintenance } },
    errors: [400, 401, 403, 413, 415, 503],
  },
  delete: {
    summary: "Switch maintenance mode off",
    description: change,
    responses: { 200: { description: "Off", body: Maintenance } },
    errors: [401, 403, 503],
  },
});
