// GET /api/v1/models: each model role's and speech service's provider and model, and whether it can
// be used (the UI's first-run banner and the microphone button say so when not).
import { requirePrincipal } from "@/lib/auth/require";
import { route } from "@/lib/http/route";
import { modelStatus } from "@/lib/agent/model-client";
import { speechStatus } from "@/lib/voice/speech-client";

export const dynamic = "force-dynamic";

export const GET = route(async (request) => {
  await requirePrincipal(request);
  const stt = speechStatus("stt");
  const tts = speechStatus("tts");
  return Response.json({
    chat: modelStatus("chat"),
    utility: modelStatus("utility"),
    embedding: modelStatus("embedding"),
    stt,
    tts,
    // A call needs both: the microphone button says why not before anyone presses it.
    voice: {
      usable: stt.configured && tts.configured,
      offline: stt.offline || tts.offline,
      ...(stt.configured && tts.configured ? {} : { reason: stt.reason ?? tts.reason }),
    },
  });
});
