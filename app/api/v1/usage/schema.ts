// The contract of GET /api/v1/usage.
import { Usage } from "@/lib/api/components";
import { defineRoute } from "@/lib/api/contract";

export const contract = defineRoute("/api/v1/usage", {
  get: {
    summary: "Token usage of the caller and the tenant, and the budget left",
    responses: { 200: { description: "Usage", body: Usage } },
    errors: [401, 503],
  },
});
