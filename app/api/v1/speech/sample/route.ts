// POST /api/v1/speech/sample {voice?, text?}: a short sample of a text-to-speech voice with the saved
// speech settings (the settings panel's "Play a sample"). Answers audio; a provider failure is a 502
// with the reason in plain words.
import OpenAI from "openai";
import { requirePrincipal } from "@/lib/auth/require";
import { getConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { optionalJsonBody } from "@/lib/http/json-body";
import { route } from "@/lib/http/route";
import { sampleBody } from "./schema";
import { plainError } from "@/lib/settings/connection-test";
import { providerKey } from "@/lib/settings/provider-keys";

export const dynamic = "force-dynamic";

export const POST = route(async (request) => {
  await requirePrincipal(request);
  const body = await optionalJsonBody(request, sampleBody, 4096);
  const tts = getConfig().settings.speech.tts;
  const client = new OpenAI({
    apiKey: providerKey("speech.tts", tts.apiKeyEnv, tts.baseUrl) ?? "not-needed",
    baseURL: tts.baseUrl,
    maxRetries: 0,
    timeout: 15_000,
  });
  const voice = body.voice ?? tts.voice;
  try {
    const audio = await client.audio.speech.create({
      model: tts.model,
      voice,
      speed: tts.speed,
      input: body.text ?? `Hello! This is the ${voice} voice.`,
      response_format: "wav",
    });
    return new Response(await audio.arrayBuffer(), {
      headers: {
        "content-type": audio.headers.get("content-type") ?? "audio/wav",
        "cache-control": "no-store",
      },
    });
  } catch (err) {
    const { message } = plainError(err, new URL(tts.baseUrl).host, tts.model);
    throw new AppError("unavailable", `The voice sample could not be made: ${message}`, { cause: err });
  }
});
