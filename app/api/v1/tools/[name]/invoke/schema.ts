// The contract of POST /api/v1/tools/{name}/invoke. The arguments depend on the tool, so the document
// lists one path per tool, each with that tool's argument schema.
import { z } from "zod";
import { defineRoute, type OperationSpec } from "@/lib/api/contract";
import { invokeBody } from "@/lib/tools/invoke-body";
import { listTools } from "@/lib/tools/registry";

const invoke: OperationSpec = {
  summary: "Run one tool through the outbox, bus and executor, as the agent would",
  body: invokeBody,
  responses: { 200: { description: "The tool call's outcome", body: { type: "object" } } },
  errors: [400, 401, 403, 404, 413, 415, 429, 503],
};

export const contract = defineRoute(
  "/api/v1/tools/{name}/invoke",
  { post: invoke },
  {
    documentedAs: () =>
      listTools().map((tool) =>
        defineRoute(`/api/v1/tools/${tool.name}/invoke`, {
          post: {
            ...invoke,
            summary: `Run ${tool.name}: ${tool.description.split(/(?<=\.)\s/)[0]}`,
            body: z.object({ args: tool.args, sessionId: z.uuid().optional() }).strict(),
            errors: [400, 401, 403, 404, 413, 415, 429, 503],
          },
        }),
      ),
  },
);
