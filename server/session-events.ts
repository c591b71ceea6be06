// GET /api/v1/sessions/{id}/events, served by the gateway's HTTP handler itself rather than a Next
// route: each event is written to the connection as it arrives from the session's log, with none of
// a route handler's per-chunk web-stream work in between (docs/performance.md, "Streaming"). The
// contract stays app/api/v1/sessions/[id]/events/schema.ts; the frames are lib/http/sse.ts's.
// `Last-Event-ID` (or ?after=) replays what came after that sequence number first; unsharing the
// session or revoking the caller's credential ends the stream saying why.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Principal } from "../lib/auth/principal";
import { watchRevocations } from "../lib/auth/revocation";
import { pathMatcher } from "../lib/api/contract";
import {
  SSE_HEADERS,
  SSE_HEARTBEAT_MS,
  SSE_KEEPALIVE_FRAME,
  SSE_RETRY_FRAME,
  sseEventFrame,
  sseRevokedFrame,
} from "../lib/http/sse";
import { followSession } from "../lib/realtime/event-log";
import { redis } from "../lib/server/redis";
import { sessionFor } from "../lib/sessions/service";
import { contract } from "../app/api/v1/sessions/[id]/events/schema";

const match = pathMatcher(contract.path);

/** Last-Event-ID (header, or ?after= for clients that cannot set headers) as a sequence number. */
function resumeFrom(req: IncomingMessage, url: URL): number {
  const header = req.headers["last-event-id"];
  const raw = (typeof header === "string" ? header : undefined) ?? url.searchParams.get("after") ?? "0";
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

/**
 * Serves the request when it is a session's event stream (GET, or HEAD: the headers only; OPTIONS
 * is the method check's); false for any other. Authorization failures throw (the handler's error edge answers).
 */
export async function serveSessionEvents(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  principal: Principal,
  redisUrl: string,
): Promise<boolean> {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  const params = match(url.pathname);
  if (!params?.id) return false;
  const sessionId = params.id;
  await sessionFor(principal, sessionId, "read");
  if (req.method === "HEAD") {
    res.writeHead(200, SSE_HEADERS);
    res.end();
    return true;
  }
  const after = resumeFrom(req, url);

  let closed = false;
  let ready = false;
  /** Frames from the replay, written with the headers; a deletion among them ends the stream after them. */
  const early: string[] = [];
  let endAfterReplay = false;
  const write = (frame: string) => {
    if (closed) return;
    if (ready) res.write(frame);
    else early.push(frame);
  };
  const cleanups: (() => unknown)[] = [];
  const close = () => {
    if (closed) return;
    closed = true;
    for (const c of cleanups) c();
    res.end();
  };
  res.once("close", close);

  // Following first: a log that cannot be read is a JSON error (503), not a stream that breaks.
  const unfollow = await followSession(redis(), redisUrl, sessionId, after, (e) => {
    write(sseEventFrame(e));
    if (e.type !== "session.deleted") return;
    if (ready) close();
    else endAfterReplay = true;
  });
  cleanups.push(() => void unfollow());
  if (closed) {
    void unfollow();
    return true;
  }
  const unwatch = watchRevocations(redisUrl, {
    principal,
    sessionId,
    end: (r) => {
      write(sseRevokedFrame(r.kind === "share" ? "share" : "auth", sessionId, r.reason));
      close();
    },
  });
  const heartbeat = setInterval(() => write(SSE_KEEPALIVE_FRAME), SSE_HEARTBEAT_MS);
  cleanups.push(unwatch, () => clearInterval(heartbeat));

  res.writeHead(200, SSE_HEADERS);
  res.write(SSE_RETRY_FRAME + early.join(""));
  ready = true;
  early.length = 0;
  if (endAfterReplay) close();
  return true;
}
