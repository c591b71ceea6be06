// Settings groups that name a provider of conf/model_providers.yaml, which fills in their base URL,
// key variable and suggested model (configuration source 4). No imports: the browser uses it too.
export const PROVIDER_GROUPS = [
  { prefix: "models.chat", modelKey: "name", suggest: "chat" },
  { prefix: "models.utility", modelKey: "name", suggest: "utility" },
  { prefix: "models.embedding", modelKey: "name", suggest: "embedding" },
  { prefix: "speech.realtime", modelKey: "model", suggest: "realtime" },
  { prefix: "speech.stt", modelKey: "model", suggest: "stt" },
  { prefix: "speech.tts", modelKey: "model", suggest: "tts" },
] as const;
export type ProviderGroup = (typeof PROVIDER_GROUPS)[number];
