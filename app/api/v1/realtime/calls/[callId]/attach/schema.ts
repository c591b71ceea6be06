// The contract of POST /api/v1/realtime/calls/{callId}/attach.
import { defineRoute, uuidParam } from "@/lib/api/contract";
import { attachDirectBody } from "@/lib/voice/realtime/direct-handlers";

export const contract = defineRoute(
  "/api/v1/realtime/calls/{callId}/attach",
  {
    post: {
      summary: "Hand a directly started call to the gateway (sideband, tools, turns, usage)",
      body: attachDirectBody,
      responses: {
        200: {
          description: "Attached",
          body: {
            type: "object",
            required: ["callId", "maxSeconds"],
            properties: { callId: { type: "string" }, maxSeconds: { type: "integer" } },
          },
        },
      },
      errors: [400, 401, 404, 409, 413, 415, 503],
    },
  },
  { params: { callId: uuidParam } },
);
