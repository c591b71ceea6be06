// A server-sent event stream the gateway writes straight to the connection (server/session-events.ts,
// server/session-messages.ts), with lib/http/sse.ts's frames: the headers and the retry frame first,
// a comment every 15 s so proxies keep it open, and, for a stream that belongs to a caller and a
// session, an `auth.revoked` / `session.revoked` frame that ends it when that access is taken away.
// Frames written before the stream is opened are sent with its headers, so a caller can gather a
// replay first and still answer with a JSON error if that fails.
import type { ServerResponse } from "node:http";
import type { Principal } from "../lib/auth/principal";
import { watchRevocations } from "../lib/auth/revocation";
import {
  SSE_HEADERS,
  SSE_HEARTBEAT_MS,
  SSE_KEEPALIVE_FRAME,
  SSE_RETRY_FRAME,
  sseRevokedFrame,
} from "../lib/http/sse";

export interface Revocable {
  principal: Principal;
  sessionId: string;
  redisUrl: string;
}

export interface SseWriter {
  /** Sends the frame now, or with the headers when the stream is not open yet; nothing once ended. */
  write(frame: string): void;
  /** Sends the headers and what was written so far; starts the heartbeat and the revocation watch. */
  open(): void;
  /** Ends the stream after what was written (once it is open, when it is not yet). */
  end(): void;
  /** Runs when the stream ends, or the client goes away; at once when that has happened. */
  onClose(cleanup: () => unknown): void;
  readonly closed: boolean;
}

export function sseWriter(res: ServerResponse, revocable?: Revocable): SseWriter {
  let state: "pending" | "open" | "closed" = "pending";
  let endWhenOpen = false;
  const early: string[] = [];
  const cleanups: (() => unknown)[] = [];
  let heartbeat: NodeJS.Timeout | undefined;

  const finish = () => {
    if (state === "closed") return;
    state = "closed";
    clearInterval(heartbeat);
    for (const cleanup of cleanups.splice(0)) cleanup();
    res.end();
  };
  // A client that left while the stream was being prepared: it starts closed (its cleanups run as added).
  if (res.closed) state = "closed";
  else res.once("close", finish);

  const writer: SseWriter = {
    get closed() {
      return state === "closed";
    },
    write(frame) {
      if (state === "open") res.write(frame);
      else if (state === "pending" && !endWhenOpen) early.push(frame);
    },
    end() {
      if (state === "pending") endWhenOpen = true;
      else finish();
    },
    onClose(cleanup) {
      if (state === "closed") cleanup();
      else cleanups.push(cleanup);
    },
    open() {
      if (state !== "pending") return;
      res.writeHead(200, SSE_HEADERS);
      res.write(SSE_RETRY_FRAME + early.join(""));
      early.length = 0;
      state = "open";
      if (endWhenOpen) return finish();
      heartbeat = setInterval(() => writer.write(SSE_KEEPALIVE_FRAME), SSE_HEARTBEAT_MS);
      if (!revocable) return;
      const { principal, sessionId, redisUrl } = revocable;
      cleanups.push(
        watchRevocations(redisUrl, {
          principal,
          sessionId,
          end: (r) => {
            writer.write(sseRevokedFrame(r.kind === "share" ? "share" : "auth", sessionId, r.reason));
            finish();
          },
        }),
      );
    },
  };
  return writer;
}
