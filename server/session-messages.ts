// POST /api/v1/sessions/{id}/messages, served by the gateway's HTTP handler itself rather than a Next
// route: a turn starts with no web Request built, routed and read in between (docs/performance.md,
// "Turn start"). 202 {messageId, turnId}; with `Accept: text/event-stream` the same call streams the
// turn's events and closes after its end. The contract stays
// app/api/v1/sessions/[id]/messages/schema.ts; failures are the HTTP handler's error edge's.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Principal } from "../lib/auth/principal";
import { pathMatcher } from "../lib/api/contract";
import { getConfig } from "../lib/config";
import { jsonRequestBody } from "../lib/http/json-body";
import { sendJson } from "../lib/http/send-json";
import { sseEventFrame } from "../lib/http/sse";
import { TURN_END_EVENTS } from "../lib/realtime/events";
import { subscribeSession } from "../lib/realtime/event-log";
import { redis } from "../lib/server/redis";
import { logger } from "../lib/server/logger";
import { turns } from "../lib/agent/turns";
import { rateLimitHeaders } from "../lib/ratelimit/limiter";
import { enforceRateLimit } from "../lib/ratelimit/policy";
import { postMessageBody } from "../lib/sessions/schemas";
import { sessionFor } from "../lib/sessions/service";
import { timeTurnStart, turnStartStage } from "../lib/agent/turn-start-timing";
import { contract } from "../app/api/v1/sessions/[id]/messages/schema";
import { sseWriter } from "./sse-writer";

const match = pathMatcher(contract.path);

/** Serves the request when it is a message sent to a session; false for any other. Failures throw. */
export async function serveSessionMessage(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  principal: Principal,
): Promise<boolean> {
  if (req.method !== "POST") return false;
  const sessionId = match(url.pathname)?.id;
  if (!sessionId) return false;
  await timeTurnStart(async () => {
    const session = await sessionFor(principal, sessionId, "write");
    turnStartStage("authorize");
    const limit = await enforceRateLimit(principal, "chatMessages");
    turnStartStage("rate_limit");
    const { settings } = getConfig();
    const body = await jsonRequestBody(req, postMessageBody, settings.server.bodyLimitBytes);
    if (!(req.headers.accept ?? "").includes("text/event-stream")) {
      const { messageId, turnId } = await turns().start(principal, session, body.content);
      sendJson(
        res,
        202,
        { messageId, turnId },
        { location: `/api/v1/sessions/${sessionId}`, ...rateLimitHeaders(limit) },
      );
      return;
    }
    // Subscribed before the turn starts: its first token does not wait for a subscription.
    const redisUrl = settings.redis.url;
    const subscription = await subscribeSession(redisUrl, sessionId);
    let started: { turnId: string; seq: number };
    try {
      started = await turns().start(principal, session, body.content);
    } catch (err) {
      await subscription.stop();
      throw err;
    }
    // The turn has started: from here on the answer is its stream, which ends with the turn.
    const stream = sseWriter(res, { principal, sessionId, redisUrl });
    stream.onClose(() => void subscription.stop());
    stream.open();
    if (stream.closed) return; // the client left while the turn started
    try {
      await subscription.from(redis(), started.seq - 1, (e) => {
        if ("turnId" in e && e.turnId !== started.turnId) return;
        stream.write(sseEventFrame(e));
        if (TURN_END_EVENTS.has(e.type) || e.type === "session.deleted") stream.end();
      });
    } catch (err) {
      // The turn goes on (GET …/events follows it); this stream cannot, and ends cut short.
      logger().warn(
        { err, requestId: req.headers["x-request-id"], sessionId, turnId: started.turnId },
        "turn stream: the session's log cannot be read",
      );
      res.destroy();
    }
  });
  return true;
}
