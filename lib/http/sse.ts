// Server-sent event frames: `id:` is the session's sequence number (so Last-Event-ID resumes),
// `event:` the event type. A comment line every 15 s keeps proxies from closing the stream. The
// gateway writes them itself (server/sse-writer.ts: a session's events, a turn's own stream).
import type { SessionEvent } from "../realtime/events";

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-store",
  "x-accel-buffering": "no",
} as const;
/** Sent first: how long a client waits before reconnecting. */
export const SSE_RETRY_FRAME = "retry: 2000\n\n";
export const SSE_KEEPALIVE_FRAME = ": keep-alive\n\n";
export const SSE_HEARTBEAT_MS = 15_000;

/** One session event as an SSE frame. */
export function sseEventFrame(e: SessionEvent): string {
  return `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
}

/** The frame that ends a stream whose access was taken away. */
export function sseRevokedFrame(kind: "share" | "auth", sessionId: string, reason: string): string {
  const type = kind === "share" ? "session.revoked" : "auth.revoked";
  return `event: ${type}\ndata: ${JSON.stringify({ type, sessionId, reason })}\n\n`;
}
