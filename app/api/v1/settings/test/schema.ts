// The contract of POST /api/v1/settings/test.
import { ConnectionResult, ConnectionTest } from "@/lib/api/components";
import { defineRoute } from "@/lib/api/contract";

export const contract = defineRoute("/api/v1/settings/test", {
  post: {
    summary: "Test connection: one minimal real request with the values entered",
    body: ConnectionTest,
    responses: { 200: { description: "The result, success or not", body: ConnectionResult } },
    errors: [400, 401, 403, 413, 415],
  },
});
