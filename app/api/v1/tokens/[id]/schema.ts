// The contract of DELETE /api/v1/tokens/{id}.
import { defineRoute, uuidParam } from "@/lib/api/contract";

export const contract = defineRoute(
  "/api/v1/tokens/{id}",
  {
    delete: {
      summary: "Revoke a token (at once, everywhere)",
      responses: { 204: { description: "Revoked" } },
      errors: [401, 404],
    },
  },
  { params: { id: uuidParam } },
);
