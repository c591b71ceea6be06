// The contract of /api/v1/tokens.
import { CreateToken } from "@/lib/api/components";
import { defineRoute } from "@/lib/api/contract";

export const contract = defineRoute("/api/v1/tokens", {
  get: {
    summary: "The caller's API tokens (never their secrets)",
    responses: {
      200: {
        description: "Tokens",
        body: {
          type: "object",
          required: ["items"],
          properties: { items: { type: "array", items: { $ref: "#/components/schemas/Token" } } },
        },
      },
    },
    errors: [401],
  },
  post: {
    summary: "Create an API token; the secret is in this response only",
    body: CreateToken,
    responses: {
      201: {
        description: "Created",
        body: {
          allOf: [
            { $ref: "#/components/schemas/Token" },
            { type: "object", required: ["token"], properties: { token: { type: "string" } } },
          ],
        },
      },
    },
    errors: [400, 401, 413, 415],
  },
});
