// The contract of /api/v1/sessions/{id}.
import { RenameSession, Session, SessionDetail } from "@/lib/api/components";
import { defineRoute, uuidParam } from "@/lib/api/contract";

export const contract = defineRoute(
  "/api/v1/sessions/{id}",
  {
    get: {
      summary: "A session with its messages, tool calls and turns",
      responses: { 200: { description: "The session", body: SessionDetail } },
      errors: [401, 404, 503],
    },
    patch: {
      summary: "Rename a session",
      body: RenameSession,
      responses: { 200: { description: "Renamed", body: Session } },
      errors: [400, 401, 403, 404, 413, 415],
    },
    delete: {
      summary: "Delete a session",
      responses: { 204: { description: "Deleted" } },
      errors: [401, 403, 404],
    },
  },
  { params: { id: uuidParam } },
);
