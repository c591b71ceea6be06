// Sending a chat message so that a gateway going away does not lose it, nor start it twice.
// The message gets one name (`clientMessageId`) for all its attempts. When the answer cannot come
// (the socket dropped, the gateway is draining, the reply was lost) the message is sent again, by
// the same name, once the socket is back (socket.io reconnects on its own, through the load
// balancer to another gateway); the server starts at most one turn per name (lib/agent/send-once.ts).
// Any other refusal (budget, rate limit, a turn already running) is the user's to see at once.
import type { Socket } from "socket.io-client";
import { ApiError } from "./api";

/** Refusals that mean "not started here, try again shortly", whatever gateway answers next. */
const RETRYABLE = new Set(["draining", "offline", "timeout", "unavailable"]);

export interface SendOptions {
  /** Attempts in all (default 5). */
  attempts?: number;
  /** How long one attempt waits for its answer (default 15 s). */
  answerTimeoutMs?: number;
  /** How long to wait for the socket to come back before giving up (default 20 s). */
  reconnectTimeoutMs?: number;
  /** Told of each failed attempt that will be tried again. */
  onRetry?: (err: ApiError) => void;
}

export interface SendPayload {
  sessionId: string;
  content: string;
}

type Reply<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

/** A name for a message: crypto.randomUUID where it exists (secure contexts), else from random bytes. */
export function newClientMessageId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export async function sendMessage<T = { messageId: string; turnId: string }>(
  socket: Socket,
  payload: SendPayload,
  opts: SendOptions = {},
): Promise<T> {
  const attempts = opts.attempts ?? 5;
  const message = { ...payload, clientMessageId: newClientMessageId() };
  for (let attempt = 1; ; attempt++) {
    try {
      // Connected: sent in this very tick (a send made as the page hears `server.draining` is
      // written before the page drops that connection, and is then answered or sent again).
      if (!socket.connected) await connected(socket, opts.reconnectTimeoutMs ?? 20_000);
      return await emitOnce<T>(socket, message, opts.answerTimeoutMs ?? 15_000);
    } catch (err) {
      if (!(err instanceof ApiError) || !RETRYABLE.has(err.code) || attempt >= attempts) throw err;
      opts.onRetry?.(err);
      // A draining gateway is about to be left: give the socket a moment to notice and move.
      await new Promise((r) => setTimeout(r, Math.min(100 * attempt, 500)));
    }
  }
}

function connected(socket: Socket, timeoutMs: number): Promise<void> {
  if (socket.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off("connect", onConnect);
      reject(new ApiError(0, "offline", "Not connected to the server; check your connection."));
    }, timeoutMs);
    const onConnect = () => {
      clearTimeout(timer);
      resolve();
    };
    socket.once("connect", onConnect);
  });
}

/** One attempt: the reply, or a retryable error when it cannot come (socket lost, no answer in time). */
function emitOnce<T>(socket: Socket, message: unknown, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      socket.off("disconnect", onDisconnect);
    };
    const onDisconnect = () => {
      done();
      reject(new ApiError(0, "offline", "The connection dropped before the server answered."));
    };
    const timer = setTimeout(() => {
      done();
      reject(new ApiError(0, "timeout", "The server did not answer in time."));
    }, timeoutMs);
    socket.once("disconnect", onDisconnect);
    socket.emit("message.send", message, (reply: Reply<T>) => {
      done();
      if (reply.ok) resolve(reply.data);
      else reject(new ApiError(0, reply.error.code, reply.error.message));
    });
  });
}
