// Which chat model the stack will answer with, and whether the voice falls back to the offline
// engines, as one line of JSON: `make dev-up` asks it whether to start the offline provider (with
// SOMA_OFFLINE_BASE_URL set to where it would run) and prints it at the end. Reads the same five sources as every process; a bad configuration exits 78 with the reason.
import { loadConfigOrExit } from "../server/config";
import { OFFLINE_PROVIDER } from "../lib/config/offline-fallback";

const { settings, providers, provenance } = loadConfigOrExit("chat-model");
const chat = settings.models.chat;
const from = provenance["models.chat.provider"];
console.log(
  JSON.stringify({
    provider: chat.provider,
    label: providers[chat.provider]?.label ?? chat.provider,
    model: chat.name,
    offline: chat.provider === OFFLINE_PROVIDER,
    source: from?.source ?? "default",
    origin: from?.origin ?? "code defaults",
    /** Speech to text or text to speech would use the offline engines. */
    offlineSpeech:
      settings.speech.stt.provider === OFFLINE_PROVIDER || settings.speech.tts.provider === OFFLINE_PROVIDER,
  }),
);
