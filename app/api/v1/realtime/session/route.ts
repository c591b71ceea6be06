// POST /api/v1/realtime/session {sessionId, input?}: a direct realtime start (off unless
// speech.realtime.allowDirect): a short-lived client secret without tools, to attach within 10 s.
import { route } from "@/lib/http/route";
import { startDirectCall } from "@/lib/voice/realtime/direct-handlers";

export const dynamic = "force-dynamic";

export const POST = route(startDirectCall);
