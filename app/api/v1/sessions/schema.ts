// The contract of /api/v1/sessions.
import { CreateSession, Session, SessionList } from "@/lib/api/components";
import { defineRoute } from "@/lib/api/contract";
import { listSessionsQuery } from "@/lib/sessions/schemas";

export const contract = defineRoute("/api/v1/sessions", {
  get: {
    summary: "List the caller's sessions, newest activity first",
    query: listSessionsQuery,
    responses: { 200: { description: "A page", body: SessionList } },
    errors: [400, 401, 503],
  },
  post: {
    summary: "Create a session",
    body: CreateSession,
    bodyRequired: false,
    responses: { 201: { description: "Created", body: Session } },
    errors: [400, 401, 403, 413, 415, 503],
  },
});
