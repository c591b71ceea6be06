// The contract of GET /api/v1/audit.
import { defineRoute } from "@/lib/api/contract";
import { auditQuery } from "@/lib/audit/query";

export const contract = defineRoute("/api/v1/audit", {
  get: {
    summary: "The tenant's audit log, newest first (tenant admins)",
    description:
      "With `format=ndjson` (or `Accept: application/x-ndjson`) every matching row is exported as NDJSON.",
    query: auditQuery,
    responses: {
      200: {
        description: "A page of rows, or the NDJSON export",
        content: {
          "application/json": {
            type: "object",
            required: ["items", "nextCursor"],
            properties: {
              items: { type: "array", items: { $ref: "#/components/schemas/AuditRow" } },
              nextCursor: { type: ["string", "null"] },
            },
          },
          "application/x-ndjson": { type: "string" },
        },
      },
    },
    errors: [400, 401, 403],
  },
});
