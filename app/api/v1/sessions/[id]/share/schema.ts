// The contract of /api/v1/sessions/{id}/share.
import { Share, ShareSession } from "@/lib/api/components";
import { defineRoute, uuidParam } from "@/lib/api/contract";

export const contract = defineRoute(
  "/api/v1/sessions/{id}/share",
  {
    post: {
      summary: "Share a session with another user of the tenant as viewer (owner only)",
      description: "A viewer can read the session and follow its events but not post or change it (403).",
      body: ShareSession,
      responses: { 200: { description: "Shared", body: Share } },
      errors: [400, 401, 403, 404, 413, 415],
    },
    get: {
      summary: "Who the session is shared with (owner only)",
      responses: {
        200: {
          description: "Viewers",
          body: {
            type: "object",
            required: ["items"],
            properties: {
              items: {
                type: "array",
                items: {
                  type: "object",
                  required: ["userId", "email"],
                  properties: { userId: { type: "string", format: "uuid" }, email: { type: "string" } },
                },
              },
            },
          },
        },
      },
      errors: [401, 403, 404],
    },
  },
  { params: { id: uuidParam } },
);
