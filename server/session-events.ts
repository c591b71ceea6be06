// GET /api/v1/sessions/{id}/events, served by the gateway's HTTP handler itself rather than a Next
// route: each event is written to the connection as it arrives from the session's log, with none of
// a route handler's per-chunk web-stream work in between (docs/performance.md, "Streaming"). The
// contract stays app/api/v1/sessions/[id]/events/schema.ts; the stream is ./sse-writer.ts.
// `Last-Event-ID` (or ?after=) replays what came after that sequence number first; unsharing the
// session or revoking the caller's credential ends the stream saying why.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Principal } from "../lib/auth/principal";
import { pathMatcher } from "../lib/api/contract";
import { SSE_HEADERS, sseEventFrame } from "../lib/http/sse";
import { followSession } from "../lib/realtime/event-log";
import { redis } from "../lib/server/redis";
import { sessionFor } from "../lib/sessions/service";
import { contract } from "../app/api/v1/sessions/[id]/events/schema";
import { sseWriter } from "./sse-writer";

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
  const stream = sseWriter(res, { principal, sessionId, redisUrl });
  // Following first: a log that cannot be read is a JSON error (503), not a stream that breaks. The
  // replay is written with the headers; a deletion among it ends the stream after it.
  const unfollow = await followSession(redis(), redisUrl, sessionId, after, (e) => {
    stream.write(sseEventFrame(e));
    if (e.type === "session.deleted") stream.end();
  });
  stream.onClose(() => void unfollow());
  stream.open();
  return true;
}
