// The contract of POST /api/v1/realtime/session (also at /realtime_session).
import { defineRoute } from "@/lib/api/contract";
import { startDirectBody } from "@/lib/voice/realtime/direct-handlers";

export const contract = defineRoute("/api/v1/realtime/session", {
  post: {
    summary: "Start a realtime call directly (speech.realtime.allowDirect): a client secret without tools",
    description:
      "Also at `POST /realtime_session`. The same checks as a call over `/voice`; reserves the call's longest length of voice minutes. Post the offer to `callsUrl` with the secret, then attach within `attachWithinSeconds`. 404 while direct starts are off; 409 while the person has another call.",
    body: startDirectBody,
    responses: {
      201: {
        description: "Started; attach within attachWithinSeconds",
        body: {
          type: "object",
          required: [
            "callId",
            "clientSecret",
            "expiresAt",
            "model",
            "callsUrl",
            "attachWithinSeconds",
            "maxSeconds",
          ],
          properties: {
            callId: { type: "string", format: "uuid" },
            clientSecret: { type: "string" },
            expiresAt: { type: "integer", description: "Unix seconds" },
            model: { type: "string" },
            callsUrl: { type: "string" },
            attachWithinSeconds: { type: "integer" },
            maxSeconds: { type: "integer" },
          },
        },
      },
    },
    errors: [400, 401, 402, 403, 404, 409, 413, 415, 429, 503],
  },
});
