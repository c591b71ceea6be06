// POST /realtime_session: the runtime document's name for POST /api/v1/realtime/session.
import { route } from "@/lib/http/route";
import { startDirectCall } from "@/lib/voice/realtime/direct-handlers";

export const dynamic = "force-dynamic";

export const POST = route(startDirectCall);
