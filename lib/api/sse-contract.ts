// How the document describes a session's event stream (text/event-stream).
import type { JsonSchema } from "./contract";

export const SSE_STREAM: Record<string, JsonSchema> = {
  "text/event-stream": {
    type: "string",
    description: "`id:` sequence number, `event:` type, `data:` the SessionEvent JSON",
  },
};
