// The contract of GET /api/v1/sessions/{id}/events.
import { defineRoute, uuidParam } from "@/lib/api/contract";
import { SSE_STREAM } from "@/lib/api/sse-contract";

export const contract = defineRoute(
  "/api/v1/sessions/{id}/events",
  {
    get: {
      summary: "Follow a session's events (SSE); Last-Event-ID resumes",
      description:
        "The stream ends with `session.revoked` ({type, sessionId, reason}) when the session is unshared from the caller, or `auth.revoked` when the caller's token is revoked, they sign out, or an admin disables them or changes their role.",
      headers: [{ name: "Last-Event-ID", in: "header", schema: { type: "integer", minimum: 0 } }],
      responses: { 200: { description: "Event stream", content: SSE_STREAM } },
      errors: [401, 404, 503],
    },
  },
  { params: { id: uuidParam } },
);
