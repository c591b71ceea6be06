// The contract of GET /api/openapi.json.
import { defineRoute } from "@/lib/api/contract";

export const contract = defineRoute("/api/openapi.json", {
  get: {
    summary: "This document",
    public: true,
    responses: { 200: { description: "OpenAPI 3.2", body: { type: "object" } } },
    errors: [],
  },
});
