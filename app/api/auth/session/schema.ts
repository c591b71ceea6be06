// The contract of GET /api/auth/session.
import { defineRoute } from "@/lib/api/contract";

export const contract = defineRoute("/api/auth/session", {
  get: {
    summary: "Who is signed in, or {user: null} (200 either way)",
    public: true,
    responses: { 200: { description: "The signed-in user, or null" } },
    errors: [],
  },
});
