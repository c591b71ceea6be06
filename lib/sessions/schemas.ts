// The public shapes of sessions and messages: request bodies are validated with these, responses are
// built to them, and the OpenAPI document is generated from them.
import { z } from "zod";
import { requiredText } from "../api/text-field";
import { TOOL_STATUSES } from "../tool-status";
import { keysetCursor } from "../http/keyset-cursor";

export const createSessionBody = z.object({ title: requiredText(200).optional() }).strict();
export const renameSessionBody = z.object({ title: requiredText(200) }).strict();
export const postMessageBody = z.object({ content: z.string().min(1, "must not be empty") }).strict();
export const cancelTurnBody = z.object({ turnId: z.uuid().optional() }).strict();
export const shareSessionBody = z
  .object({ email: z.email().max(320).optional(), userId: z.uuid().optional() })
  .strict()
  .refine((b) => Boolean(b.email) !== Boolean(b.userId), { message: "give either email or userId" })
  .meta({ oneOf: [{ required: ["email"] }, { required: ["userId"] }] });
export const listSessionsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: keysetCursor.optional(),
});

export const sessionSummary = z.object({
  id: z.uuid(),
  title: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /** The caller's relation: owner (may post, rename, delete, share) or viewer (may read). */
  access: z.enum(["owner", "viewer"]),
});

export const shareView = z.object({
  sessionId: z.uuid(),
  userId: z.uuid(),
  relation: z.literal("viewer"),
});

export const messageView = z.object({
  id: z.uuid(),
  turnId: z.uuid().nullable(),
  role: z.enum(["user", "assistant", "tool", "system"]),
  content: z.string(),
  complete: z.boolean(),
  toolCalls: z.array(z.object({ id: z.string(), name: z.string(), arguments: z.string() })).nullable(),
  toolCallId: z.string().nullable(),
  /** Typed, or spoken in a voice call. */
  source: z.enum(["text", "voice"]),
  /** Voice messages: the call, and for an interrupted answer what was heard of it. */
  voice: z
    .object({
      callId: z.string(),
      interrupted: z.boolean().optional(),
      heardMs: z.number().optional(),
      /** Who measured heardMs: the page's played report, the gateway's estimate, or the realtime provider. */
      heardFrom: z.enum(["page", "server", "provider"]).optional(),
      fullText: z.string().optional(),
    })
    .nullable(),
  createdAt: z.iso.datetime(),
});

export const toolCallView = z.object({
  id: z.uuid(),
  turnId: z.uuid().nullable(),
  tool: z.string(),
  arguments: z.unknown(),
  status: z.enum(TOOL_STATUSES),
  result: z.unknown().nullable(),
  error: z.string().nullable(),
  createdAt: z.iso.datetime(),
  completedAt: z.iso.datetime().nullable(),
});

export const turnView = z.object({
  id: z.uuid(),
  status: z.enum(["running", "completed", "failed", "cancelled", "interrupted"]),
  error: z.string().nullable(),
  model: z.string().nullable(),
  steps: z.number().int(),
  usage: z.object({ promptTokens: z.number().int(), completionTokens: z.number().int() }),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  /** Running turns: the sequence number of their turn.started event (replay from there). */
  startSeq: z.number().int().nullable(),
});

export const sessionDetail = sessionSummary.extend({
  messages: z.array(messageView),
  toolCalls: z.array(toolCallView),
  turns: z.array(turnView),
  /** The last event sequence number; follow the session's events after it. */
  lastSeq: z.number().int(),
});

export const sessionList = z.object({ items: z.array(sessionSummary), nextCursor: z.string().nullable() });
export const postMessageResult = z.object({ messageId: z.uuid(), turnId: z.uuid() });

export type SessionSummary = z.infer<typeof sessionSummary>;
export type SessionDetail = z.infer<typeof sessionDetail>;
export type MessageView = z.infer<typeof messageView>;
export type ToolCallView = z.infer<typeof toolCallView>;
export type TurnView = z.infer<typeof turnView>;
