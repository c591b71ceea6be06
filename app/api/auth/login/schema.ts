// The contract of POST /api/auth/login.
import { z } from "zod";
import { defineRoute } from "@/lib/api/contract";

export const loginBody = z
  // Any email is a sign-in attempt: one that cannot be anyone's fails like a wrong password (401).
  .object({ email: z.string().max(320), password: z.string().min(1).max(1024) })
  .strict();

export const contract = defineRoute("/api/auth/login", {
  post: {
    summary: "Sign in with email and password: sets the browser session cookie",
    public: true,
    body: loginBody,
    responses: { 200: { description: "Signed in" } },
    errors: [400, 401, 403, 413, 415, 429],
  },
});
