// The body of POST /api/v1/tools/{name}/invoke (validated by the route, described by the OpenAPI document).
import { z } from "zod";

export const invokeBody = z
  .object({
    args: z.record(z.string(), z.unknown()).default({}),
    sessionId: z.uuid().optional(),
  })
  .strict();
