// Server-sent events for route handlers: `id:` is the session's sequence number (so Last-Event-ID
// resumes), `event:` the event type. A comment line every 15 s keeps proxies from closing the
// stream; the stream ends when the client goes away or the producer closes it. The gateway serves
// GET /api/v1/sessions/{id}/events itself with the same frames (server/session-events.ts).
import type { SessionEvent } from "../realtime/events";
import type { Principal } from "../auth/principal";
import { watchRevocations } from "../auth/revocation";

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

export interface SseSink {
  send(e: SessionEvent): void;
  close(): void;
}

/**
 * `revocable`: the stream belongs to this caller and session; revoking the caller's credential or
 * unsharing the session ends it at once with an `auth.revoked` / `session.revoked` event saying why.
 */
export function sseResponse(
  request: Request,
  start: (sink: SseSink) => Promise<() => Promise<void> | void>,
  revocable?: { principal: Principal; sessionId: string; redisUrl: string },
): Response {
  const encoder = new TextEncoder();
  let cleanup: (() => Promise<void> | void) | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let closed = false;
  let unwatch: (() => void) | undefined;
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const close = () => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        unwatch?.();
        void cleanup?.();
        try {
          controller.close();
        } catch {
          /* already closed */
        }
      };
      const sink: SseSink = {
        send(e) {
          if (closed) return;
          controller.enqueue(encoder.encode(sseEventFrame(e)));
        },
        close,
      };
      request.signal.addEventListener("abort", close, { once: true });
      if (revocable) {
        unwatch = watchRevocations(revocable.redisUrl, {
          principal: revocable.principal,
          sessionId: revocable.sessionId,
          end: (r) => {
            if (closed) return;
            controller.enqueue(
              encoder.encode(
                sseRevokedFrame(r.kind === "share" ? "share" : "auth", revocable.sessionId, r.reason),
              ),
            );
            close();
          },
        });
      }
      controller.enqueue(encoder.encode(SSE_RETRY_FRAME));
      heartbeat = setInterval(() => {
        if (!closed) controller.enqueue(encoder.encode(SSE_KEEPALIVE_FRAME));
      }, SSE_HEARTBEAT_MS);
      try {
        cleanup = await start(sink);
        if (closed) void cleanup();
      } catch (err) {
        closed = true;
        clearInterval(heartbeat);
        unwatch?.();
        controller.error(err);
      }
    },
    cancel() {
      closed = true;
      clearInterval(heartbeat);
      unwatch?.();
      void cleanup?.();
    },
  });
  return new Response(stream, { status: 200, headers: SSE_HEADERS });
}
