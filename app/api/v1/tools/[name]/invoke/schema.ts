// The contract of POST /api/v1/tools/{name}/invoke.
import { defineRoute } from "@/lib/api/contract";
import { invokeBody } from "@/lib/tools/invoke-body";

export const contract = defineRoute("/api/v1/tools/{name}/invoke", {
  post: {
    summary: "Run one tool through the outbox, bus and executor, as the agent would",
    body: invokeBody,
    responses: { 200: { description: "The tool call's outcome", body: { type: "object" } } },
    errors: [400, 401, 403, 404, 413, 415, 429, 503],
  },
});
