// POST /api/v1/realtime/calls/{callId}/attach {providerCallId}: hands a directly started call to the
// gateway (its sideband, tools, turns and usage).
import { route, type Params } from "@/lib/http/route";
import { attachDirectCall } from "@/lib/voice/realtime/direct-handlers";

export const dynamic = "force-dynamic";

export const POST = route(async (request, { params }: Params<{ callId: string }>) =>
  attachDirectCall(request, (await params).callId),
);
