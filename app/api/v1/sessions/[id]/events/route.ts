// GET /api/v1/sessions/{id}/events: the session's events as SSE, live; `Last-Event-ID` (or ?after=)
// replays what came after that sequence number first.
import { requirePrincipal } from "@/lib/auth/require";
import { getConfig } from "@/lib/config";
import { route, type Params } from "@/lib/http/route";
import { resumeFrom, sseResponse } from "@/lib/http/sse";
import { followSession } from "@/lib/realtime/event-log";
import { redis } from "@/lib/server/redis";
import { sessionFor } from "@/lib/sessions/service";

export const dynamic = "force-dynamic";

export const GET = route<Params<{ id: string }>>(async (request, { params }) => {
  const principal = await requirePrincipal(request);
  const { id } = await params;
  await sessionFor(principal, id, "read");
  const after = resumeFrom(request);
  const redisUrl = getConfig().settings.redis.url;
  return sseResponse(
    request,
    (sink) =>
      followSession(redis(), redisUrl, id, after, (e) => {
        sink.send(e);
        if (e.type === "session.deleted") sink.close();
      }),
    { principal, sessionId: id, redisUrl },
  );
});
