// The contract of GET /api/v1/sessions/{id}/events, which the gateway serves itself
// (server/session-events.ts: no Next route handler between the session's log and the connection).
import { defineRoute, uuidParam } from "@/lib/api/contract";
import { SESSION_EVENT_ITEM } from "@/lib/api/sse-contract";

export const contract = defineRoute(
  "/api/v1/sessions/{id}/events",
  {
    get: {
      summary: "Follow a session's events (SSE); Last-Event-ID resumes",
      description:
        "The stream ends with `session.revoked` ({type, sessionId, reason}) when the session is unshared from the caller, or `auth.revoked` when the caller's token is revoked, they sign out, or an admin disables them or changes their role.",
      headers: [
        {
          name: "Last-Event-ID",
          in: "header",
          description:
            "Replay what came after this sequence number first; anything but a number replays from the start",
          schema: { type: "string" },
        },
      ],
      query: [
        {
          name: "after",
          in: "query",
          description: "The same as Last-Event-ID, for clients that cannot set headers",
          schema: { type: "string" },
        },
      ],
      responses: { 200: { description: "Event stream", events: SESSION_EVENT_ITEM } },
      errors: [401, 404, 503],
    },
  },
  { params: { id: uuidParam }, servedByGateway: true },
);
