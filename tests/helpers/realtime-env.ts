// The environment of a gateway (and its executor) whose realtime voice, speech-to-text, text-to-speech
// and chat model are all the offline provider at `stubUrl`, with `key` as the provider's key (held
// in SOMA_PROVIDER_KEY_REALTIME, so a test can search for it in what a page sees).
export function realtimeStubEnv(stubUrl: string, key: string): Record<string, string> {
  const env: Record<string, string> = {
    SOMA_WEBRTC_HOST: "127.0.0.1",
    SOMA_SPEECH_INPUT: "hands-free",
    SOMA_SPEECH_MODE: "realtime",
    SOMA_SPEECH_REALTIME_PROVIDER: "stub",
    SOMA_SPEECH_REALTIME_MODEL: "stub-realtime",
    SOMA_SPEECH_REALTIME_BASE_URL: stubUrl,
    SOMA_SPEECH_REALTIME_API_KEY_ENV: "SOMA_PROVIDER_KEY_REALTIME",
    SOMA_PROVIDER_KEY_REALTIME: key,
    // The cascaded fallback and the chat model on the same stub, with the same key.
    SOMA_MODELS_CHAT_API_KEY_ENV: "SOMA_PROVIDER_KEY_REALTIME",
  };
  for (const role of ["STT", "TTS"]) {
    env[`SOMA_SPEECH_${role}_PROVIDER`] = "stub";
    env[`SOMA_SPEECH_${role}_MODEL`] = `stub-${role.toLowerCase()}`;
    env[`SOMA_SPEECH_${role}_BASE_URL`] = stubUrl;
    env[`SOMA_SPEECH_${role}_API_KEY_ENV`] = "SOMA_PROVIDER_KEY_REALTIME";
  }
  return env;
}
