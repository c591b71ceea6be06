// The contract of POST /api/auth/logout.
import { defineRoute } from "@/lib/api/contract";

export const contract = defineRoute("/api/auth/logout", {
  post: {
    summary: "End the browser session and clear its cookie (without one, nothing to end: 204 too)",
    public: true,
    responses: { 204: { description: "Signed out" } },
    errors: [],
  },
});
