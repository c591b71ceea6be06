// How the document describes a session's event stream (text/event-stream, OpenAPI 3.2 `itemSchema`):
// each event has `id` (the sequence number), `event` (its type) and `data`, the event as JSON. The
// stream ends with session.revoked or auth.revoked (no id) when access is taken away.
import type { JsonSchema } from "./contract";

export const SESSION_EVENT_ITEM: JsonSchema = {
  type: "object",
  required: ["event", "data"],
  properties: {
    id: {
      type: "string",
      pattern: "^[0-9]+$",
      description: "The event's sequence number (Last-Event-ID resumes after it)",
    },
    event: { type: "string", description: "The event's type, as in data.type" },
    data: {
      type: "string",
      contentMediaType: "application/json",
      contentSchema: {
        oneOf: [{ $ref: "#/components/schemas/SessionEvent" }, { $ref: "#/components/schemas/RevokedEvent" }],
      },
    },
  },
};
