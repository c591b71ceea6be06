// The contract of GET /api/v1/models.
import { ModelsStatus } from "@/lib/api/components";
import { defineRoute } from "@/lib/api/contract";

export const contract = defineRoute("/api/v1/models", {
  get: {
    summary: "The models and speech services in use, and whether each can be used",
    description:
      "`voice.usable` is false when speech to text or text to speech has no usable provider (`reason` says which and what to do); `offline` marks the offline engines.",
    responses: { 200: { description: "Model status", body: ModelsStatus } },
    errors: [401, 503],
  },
});
