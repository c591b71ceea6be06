// Versioned, zod-validated messages of the tool bus. Producers and consumers parse with these.
import { z } from "zod";
import { TOOL_FINAL_STATUSES } from "../tool-status";

export const toolRequestSchema = z.object({
  version: z.literal(1),
  toolCallId: z.uuid(),
  sessionId: z.uuid(),
  tenantId: z.uuid(),
  /** Who the call runs for: policy decisions use the role, the audit log names the user. */
  actor: z.object({ userId: z.uuid(), role: z.enum(["admin", "member"]) }).optional(),
  tool: z.string().min(1),
  arguments: z.record(z.string(), z.unknown()),
  requestedAt: z.iso.datetime(),
});
export type ToolRequest = z.infer<typeof toolRequestSchema>;

export const toolResultSchema = z.object({
  version: z.literal(1),
  toolCallId: z.uuid(),
  sessionId: z.uuid(),
  status: z.enum(TOOL_FINAL_STATUSES),
  output: z.unknown().optional(),
  error: z.string().optional(),
  finishedAt: z.iso.datetime(),
});
export type ToolResult = z.infer<typeof toolResultSchema>;

export const deadLetterSchema = z.object({
  version: z.literal(1),
  reason: z.string(),
  source: z.string(),
  raw: z.string(),
  at: z.iso.datetime(),
});
export type DeadLetter = z.infer<typeof deadLetterSchema>;
