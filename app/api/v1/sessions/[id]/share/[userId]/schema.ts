// The contract of DELETE /api/v1/sessions/{id}/share/{userId}.
import { defineRoute, uuidParam } from "@/lib/api/contract";

export const contract = defineRoute(
  "/api/v1/sessions/{id}/share/{userId}",
  {
    delete: {
      summary: "Stop sharing the session with a user (at once)",
      responses: { 204: { description: "No longer shared" } },
      errors: [401, 403, 404],
    },
  },
  { params: { id: uuidParam, userId: uuidParam } },
);
