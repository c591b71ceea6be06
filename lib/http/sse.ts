// Server-sent events for route handlers: `id:` is the session's sequence number (so Last-Event-ID
// resumes), `event:` the event type. A comment line every 15 s keeps proxies from closing the
// stream; the stream ends when the client goes away or the producer closes it.
import type { SessionEvent } from "../realtime/events";
import type { Principal } from "../auth/principal";
import { watchRevocations } from "../auth/revocation";

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
          controller.enqueue(
            encoder.encode(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`),
          );
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
            const type = r.kind === "share" ? "session.revoked" : "auth.revoked";
            const data = { type, sessionId: revocable.sessionId, reason: r.reason };
            controller.enqueue(encoder.encode(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`));
            close();
          },
        });
      }
      controller.enqueue(encoder.encode("retry: 2000\n\n"));
      heartbeat = setInterval(() => {
        if (!closed) controller.enqueue(encoder.encode(": keep-alive\n\n"));
      }, 15_000);
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
  return new Response(stream, {
    status: 200,
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
    },
  });
}

/** Last-Event-ID (header, or ?after= for clients that cannot set headers) as a sequence number. */
export function resumeFrom(request: Request): number {
  const url = new URL(request.url);
  const raw = request.headers.get("last-event-id") ?? url.searchParams.get("after") ?? "0";
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}
