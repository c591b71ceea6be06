// The contract of POST /api/v1/sessions/{id}/cancel.
import { CancelTurn } from "@/lib/api/components";
import { defineRoute, uuidParam } from "@/lib/api/contract";

export const contract = defineRoute(
  "/api/v1/sessions/{id}/cancel",
  {
    post: {
      summary: "Stop the running turn",
      body: CancelTurn,
      bodyRequired: false,
      responses: {
        202: {
          description: "Stopping",
          body: { type: "object", properties: { turnId: { type: "string", format: "uuid" } } },
        },
      },
      errors: [400, 401, 403, 404, 409, 413, 415],
    },
  },
  { params: { id: uuidParam } },
);
