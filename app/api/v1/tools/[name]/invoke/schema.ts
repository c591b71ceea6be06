import { z } from "zod";

export const invokeBody = z
  .object({
    args: z.record(z.string(), z.unknown()).default({}),
    sessionId: z.uuid().optional(),
  })
  .strict();
