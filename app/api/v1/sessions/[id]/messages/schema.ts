// The contract of POST /api/v1/sessions/{id}/messages, which the gateway serves itself
// (server/session-messages.ts: no Next route handler between the message and its turn).
import { MessageAccepted, PostMessage } from "@/lib/api/components";
import { defineRoute, uuidParam } from "@/lib/api/contract";
import { SESSION_EVENT_ITEM } from "@/lib/api/sse-contract";

export const contract = defineRoute(
  "/api/v1/sessions/{id}/messages",
  {
    post: {
      summary: "Send a message; starts a turn",
      description:
        "With `Accept: text/event-stream` the response streams the turn's events and closes after turn.finished, turn.failed, turn.cancelled or turn.interrupted.",
      body: PostMessage,
      responses: {
        202: { description: "Accepted", body: MessageAccepted },
        200: { description: "The turn's events (when asked for SSE)", events: SESSION_EVENT_ITEM },
      },
      errors: [400, 401, 402, 403, 404, 409, 413, 415, 429, 503],
    },
  },
  { params: { id: uuidParam }, servedByGateway: true },
);
