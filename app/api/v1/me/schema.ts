// The contract of GET /api/v1/me.
import { defineRoute } from "@/lib/api/contract";

export const contract = defineRoute("/api/v1/me", {
  get: {
    summary: "The authenticated caller",
    responses: {
      200: {
        description: "Who is calling",
        body: {
          type: "object",
          required: ["userId", "tenantId", "email", "role", "via"],
          properties: {
            userId: { type: "string" },
            tenantId: { type: "string" },
            email: { type: "string" },
            role: { type: "string", enum: ["admin", "member"] },
            via: { type: "string", enum: ["session", "token"] },
          },
        },
      },
    },
    errors: [401],
  },
});
