// The contract of POST /api/v1/speech/sample.
import { z } from "zod";
import { defineRoute } from "@/lib/api/contract";

export const sampleBody = z
  .object({
    voice: z.string().min(1).max(100).optional(),
    text: z.string().min(1).max(300).optional(),
  })
  .strict();

export const contract = defineRoute("/api/v1/speech/sample", {
  post: {
    summary: "A short sample of a text-to-speech voice (saved speech settings)",
    body: sampleBody,
    bodyRequired: false,
    responses: {
      200: { description: "Audio", content: { "audio/wav": { type: "string", format: "binary" } } },
    },
    errors: [400, 401, 413, 415, 503],
  },
});
