// POST /api/v1/sessions/{id}/messages: starts a turn. 202 {messageId, turnId}; with
// `Accept: text/event-stream` the same call streams the turn's events and closes after its end.
import { requirePrincipal } from "@/lib/auth/require";
import { getConfig } from "@/lib/config";
import { jsonBody } from "@/lib/http/json-body";
import { route, type Params } from "@/lib/http/route";
import { sseResponse } from "@/lib/http/sse";
import { TURN_END_EVENTS } from "@/lib/realtime/events";
import { subscribeSession } from "@/lib/realtime/event-log";
import { redis } from "@/lib/server/redis";
import { turns } from "@/lib/agent/turns";
import { rateLimitHeaders } from "@/lib/ratelimit/limiter";
import { enforceRateLimit } from "@/lib/ratelimit/policy";
import { postMessageBody } from "@/lib/sessions/schemas";
import { sessionFor } from "@/lib/sessions/service";
import { timeTurnStart, turnStartStage } from "@/lib/agent/turn-start-timing";

export const dynamic = "force-dynamic";

export const POST = route<Params<{ id: string }>>((request, { params }) =>
  timeTurnStart(async () => {
    const principal = await requirePrincipal(request);
    const { id } = await params;
    const session = await sessionFor(principal, id, "write");
    turnStartStage("authorize");
    const limit = await enforceRateLimit(principal, "chatMessages");
    turnStartStage("rate_limit");
    const { settings } = getConfig();
    const body = await jsonBody(request, postMessageBody, settings.server.bodyLimitBytes);
    const streamed = (request.headers.get("accept") ?? "").includes("text/event-stream");
    // Subscribed before the turn starts: its first token does not wait for a subscription.
    const subscription = streamed ? await subscribeSession(settings.redis.url, id) : undefined;
    let started: { messageId: string; turnId: string; seq: number };
    try {
      started = await turns().start(principal, session, body.content);
    } catch (err) {
      await subscription?.stop();
      throw err;
    }
    const result = { messageId: started.messageId, turnId: started.turnId };
    if (!subscription)
      return Response.json(result, {
        status: 202,
        headers: { location: `/api/v1/sessions/${id}`, ...rateLimitHeaders(limit) },
      });
    return sseResponse(
      request,
      async (sink) => {
        try {
          await subscription.from(redis(), started.seq - 1, (e) => {
            if ("turnId" in e && e.turnId !== started.turnId) return;
            sink.send(e);
            if (TURN_END_EVENTS.has(e.type) || e.type === "session.deleted") sink.close();
          });
        } catch (err) {
          await subscription.stop();
          throw err;
        }
        return subscription.stop;
      },
      { principal, sessionId: id, redisUrl: settings.redis.url },
    );
  }),
);
