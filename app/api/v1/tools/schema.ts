// The contract of GET /api/v1/tools.
import { defineRoute } from "@/lib/api/contract";

export const contract = defineRoute("/api/v1/tools", {
  get: {
    summary: "Every tool with its JSON-schema arguments",
    responses: {
      200: {
        description: "The tools",
        body: {
          type: "object",
          required: ["items"],
          properties: { items: { type: "array", items: { type: "object" } } },
        },
      },
    },
    errors: [401],
  },
});
