// The contract of /api/v1/memories/{id}.
import { Memory, UpdateMemory } from "@/lib/api/components";
import { defineRoute, uuidParam } from "@/lib/api/contract";

export const contract = defineRoute(
  "/api/v1/memories/{id}",
  {
    get: {
      summary: "One memory",
      responses: { 200: { description: "The memory", body: Memory } },
      errors: [401, 404],
    },
    patch: {
      summary: "Edit a memory's words, area or scope",
      description:
        "Your own memories; a tenant-shared one only its author or a tenant admin (403). New words are embedded again.",
      body: UpdateMemory,
      responses: { 200: { description: "Updated", body: Memory } },
      errors: [400, 401, 403, 404, 413, 415],
    },
    delete: {
      summary: "Delete a memory (same permission as editing)",
      responses: { 204: { description: "Deleted" } },
      errors: [401, 403, 404],
    },
  },
  { params: { id: uuidParam } },
);
