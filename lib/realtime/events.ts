// The events of a session, shared by server and client: what socket.io `/chat` emits, what the SSE
// endpoints stream, and the payloads clients send. Every event carries the session's sequence
// number, so a client that reconnects asks for what came after the last one it saw.
import { z } from "zod";
import type { eventEnvelope, sessionEventBody, usage as usageSchema } from "./event-schemas";

export type Usage = z.infer<typeof usageSchema>;
export type SessionEventBody = z.infer<typeof sessionEventBody>;
export type SessionEvent = SessionEventBody & z.infer<typeof eventEnvelope>;
export type SessionEventType = SessionEvent["type"];

/** Events after which a turn is over. */
export const TURN_END_EVENTS: ReadonlySet<string> = new Set([
  "turn.finished",
  "turn.failed",
  "turn.cancelled",
  "turn.interrupted",
]);

export const joinPayload = z.object({
  sessionId: z.uuid(),
  /** The last sequence number the client has; events after it are replayed. */
  afterSeq: z.number().int().min(0).optional(),
});
export const sendPayload = z.object({
  sessionId: z.uuid(),
  content: z.string().min(1),
  /** The client's name for this message: sent again (a lost acknowledgement), it starts no second turn. */
  clientMessageId: z.uuid().optional(),
});
export const cancelPayload = z.object({ sessionId: z.uuid(), turnId: z.uuid().optional() });
export const leavePayload = z.object({ sessionId: z.uuid() });

export type Ack<T> = (
  reply: { ok: true; data: T } | { ok: false; error: { code: string; message: string } },
) => void;

/** socket.io `/chat`: client to server. */
export interface ChatClientEvents {
  "session.join": (p: z.infer<typeof joinPayload>, ack?: Ack<{ lastSeq: number }>) => void;
  "session.leave": (p: z.infer<typeof leavePayload>, ack?: Ack<null>) => void;
  "message.send": (p: z.infer<typeof sendPayload>, ack?: Ack<{ messageId: string; turnId: string }>) => void;
  "turn.cancel": (p: z.infer<typeof cancelPayload>, ack?: Ack<{ turnId: string }>) => void;
}

/** socket.io `/chat`: server to client. */
export interface ChatServerEvents {
  event: (e: SessionEvent) => void;
  error: (e: { code: string; message: string; event?: string }) => void;
  /** The credential was revoked (token revoked, signed out, user disabled); the server closes the socket. */
  "auth.revoked": (e: { reason: string }) => void;
  /** Access to a followed session was taken away (unshared); its events stop. */
  "session.revoked": (e: { sessionId: string; reason: string }) => void;
  /** This gateway is shutting down: reconnect and join again from the last sequence number. */
  "server.draining": (e: { reason: string }) => void;
}
