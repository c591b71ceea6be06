// The contract of POST /api/internal/tool-results: the executors' signed callback, not public.
import { defineRoute } from "@/lib/api/contract";

export const contract = defineRoute(
  "/api/internal/tool-results",
  {
    post: {
      summary: "A tool call's result, signed by an executor",
      responses: { 204: { description: "Noted" } },
      errors: [400, 401, 413, 415],
    },
  },
  { internal: true },
);
