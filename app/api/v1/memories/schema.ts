// The contract of /api/v1/memories.
import { CreateMemory, Memory, MemoryPage } from "@/lib/api/components";
import { defineRoute } from "@/lib/api/contract";
import { listMemoriesQuery } from "@/lib/memories/schemas";

export const contract = defineRoute("/api/v1/memories", {
  get: {
    summary: "The caller's memories and the tenant's shared ones: newest first, or ranked by query",
    description:
      "With `query`, ranked by words, and by meaning too when an embedding model is configured (`mode: hybrid`; weight `memory.hybridWeight`). Another member's private memories are never listed. `nextCursor` continues the same listing.",
    query: listMemoriesQuery,
    responses: { 200: { description: "A page", body: MemoryPage } },
    errors: [400, 401, 409],
  },
  post: {
    summary: 'Save a memory: the caller\'s own, or shared with the tenant (scope "tenant")',
    body: CreateMemory,
    responses: { 201: { description: "Saved", body: Memory } },
    errors: [400, 401, 413, 415],
  },
});
