// The session events as schemas: what `/chat` emits as `event`, what the SSE endpoints stream as
// `data:`. lib/realtime/events.ts takes its types from these (type-only, so no browser bundle loads
// zod); the OpenAPI document (SSE) and the AsyncAPI document (socket.io) publish them as JSON Schema.
import { z } from "zod";
import { TOOL_FINAL_STATUSES } from "../tool-status";

export const usage = z.object({ promptTokens: z.number().int(), completionTokens: z.number().int() });
const turn = { turnId: z.uuid() };
const message = { ...turn, messageId: z.uuid() };

export const sessionEventBodies = [
  z.object({
    type: z.literal("turn.started"),
    ...message,
    content: z.string(),
    source: z.literal("voice").optional(),
  }),
  z.object({ type: z.literal("message.started"), ...message }),
  /** `offset`: the length of the message's text before this delta (apply only where it fits). */
  z.object({
    type: z.literal("message.delta"),
    ...message,
    delta: z.string(),
    offset: z.number().int().min(0),
  }),
  z.object({ type: z.literal("message.completed"), ...message, content: z.string() }),
  /** A spoken answer the person interrupted: `content` is what they heard of it. */
  z.object({ type: z.literal("message.truncated"), ...message, content: z.string(), heardMs: z.number() }),
  z.object({
    type: z.literal("tool.started"),
    ...turn,
    toolCallId: z.string(),
    tool: z.string(),
    arguments: z.unknown(),
  }),
  z.object({
    type: z.literal("tool.finished"),
    ...turn,
    toolCallId: z.string(),
    tool: z.string(),
    status: z.enum(TOOL_FINAL_STATUSES),
    result: z.unknown().optional(),
    error: z.string().optional(),
    durationMs: z.number(),
  }),
  z.object({ type: z.literal("turn.finished"), ...turn, usage, steps: z.number().int() }),
  z.object({ type: z.literal("turn.failed"), ...turn, reason: z.string(), code: z.string(), usage }),
  z.object({ type: z.literal("turn.cancelled"), ...turn, usage }),
  z.object({ type: z.literal("turn.interrupted"), ...turn, reason: z.string() }),
  z.object({ type: z.literal("session.updated"), title: z.string() }),
  z.object({ type: z.literal("session.deleted") }),
  /** The client asked for events older than the log keeps: reload the session over REST. */
  z.object({ type: z.literal("session.resync"), reason: z.string() }),
] as const;

export const sessionEventBody = z.discriminatedUnion("type", sessionEventBodies);

/** What every event carries besides its body: the session's sequence number, the session, the time. */
export const eventEnvelope = z.object({
  seq: z.number().int().min(1),
  sessionId: z.uuid(),
  at: z.iso.datetime(),
});

/** A whole event as sent: one body with the envelope (for documents and checks; types come from the parts). */
export const sessionEvent: z.ZodType = z.union(
  sessionEventBodies.map((b) => b.extend(eventEnvelope.shape)) as unknown as [z.ZodObject, z.ZodObject],
);

/** How a followed stream ends when access is taken away: the SSE event, and the socket.io messages. */
export const revokedEvent = z.object({
  type: z.enum(["session.revoked", "auth.revoked"]),
  sessionId: z.uuid(),
  reason: z.string(),
});
