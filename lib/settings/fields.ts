// The settings people edit in the panel and through the settings API: models, speech and agent.
// Shared by the server (what may be changed) and the browser (how each field is shown). Every
// other setting (ports, database, services) is the operator's, set by environment or files.
import { PROVIDER_GROUPS } from "../config/provider-groups";

export type FieldKind =
  | "text"
  | "url"
  | "number"
  | "select"
  | "boolean"
  | "textarea"
  | "secret"
  | "provider"
  | "voice"
  | "tools"
  | "json";

export interface FieldSpec {
  key: string;
  section: "models" | "speech" | "agent";
  group: string;
  label: string;
  help: string;
  kind: FieldKind;
  options?: string[];
  /** Number fields: the input's step (the bounds come from the settings schema, with the view). */
  step?: number;
  /** For provider fields: the fields the chosen provider fills in. */
  fills?: { baseUrl: string; apiKeyEnv: string; model?: { key: string; suggest: string }; voice?: string };
}

function provider(prefix: string, section: FieldSpec["section"], group: string): FieldSpec {
  const g = PROVIDER_GROUPS.find((x) => x.prefix === prefix)!;
  const hasVoice = prefix === "speech.tts" || prefix === "speech.realtime";
  return {
    key: `${prefix}.provider`,
    section,
    group,
    label: "Provider",
    help: "Where requests go. Choosing one fills in its address and suggested model.",
    kind: "provider",
    fills: {
      baseUrl: `${prefix}.baseUrl`,
      apiKeyEnv: `${prefix}.apiKeyEnv`,
      model: { key: `${prefix}.${g.modelKey}`, suggest: g.suggest },
      ...(hasVoice ? { voice: `${prefix}.voice` } : {}),
    },
  };
}

function endpoint(prefix: string, section: FieldSpec["section"], group: string): FieldSpec[] {
  return [
    {
      key: `${prefix}.baseUrl`,
      section,
      group,
      label: "Base URL",
      help: "The OpenAI-compatible API root, ending in /v1.",
      kind: "url",
    },
    {
      key: `${prefix}.apiKey`,
      section,
      group,
      label: "API key",
      help: "Write-only: stored on the server, never shown again. Leave empty to keep the current key.",
      kind: "secret",
    },
    {
      key: `${prefix}.apiKeyEnv`,
      section,
      group,
      label: "Key variable",
      help: "The environment variable that holds the key; when it is set it wins over a key entered here.",
      kind: "text",
    },
  ];
}

function modelRole(role: "chat" | "utility" | "embedding", group: string): FieldSpec[] {
  const p = `models.${role}`;
  return [
    provider(p, "models", group),
    {
      key: `${p}.name`,
      section: "models",
      group,
      label: "Model",
      help: "The model name the provider knows.",
      kind: "text",
    },
    ...endpoint(p, "models", group),
    {
      key: `${p}.contextLength`,
      section: "models",
      group,
      label: "Context length",
      help: "Tokens the model accepts; older messages are trimmed to fit.",
      kind: "number",
      step: 1,
    },
    {
      key: `${p}.temperature`,
      section: "models",
      group,
      label: "Temperature",
      help: "0 is focused and repeatable, 2 is most varied.",
      kind: "number",
      step: 0.1,
    },
    {
      key: `${p}.params`,
      section: "models",
      group,
      label: "Extra parameters",
      help: 'Sent with every request, as a JSON object, e.g. {"top_p":0.9,"max_tokens":2048}.',
      kind: "json",
    },
    {
      key: `${p}.rpm`,
      section: "models",
      group,
      label: "Requests per minute",
      help: "Your provider account's limit; calls wait rather than exceed it. 0 means no limit.",
      kind: "number",
      step: 1,
    },
    {
      key: `${p}.tpm`,
      section: "models",
      group,
      label: "Tokens per minute",
      help: "Your provider account's limit; 0 means no limit.",
      kind: "number",
      step: 1,
    },
  ];
}

const SPEECH = "speech" as const;

export const FIELDS: FieldSpec[] = [
  ...modelRole("chat", "Chat model"),
  ...modelRole("utility", "Utility model"),
  ...modelRole("embedding", "Embedding model"),

  {
    key: "speech.mode",
    section: SPEECH,
    group: "Voice mode",
    label: "Mode",
    help: "Realtime: one speech-to-speech model, lowest latency. Cascaded: speech-to-text, the chat model, text-to-speech.",
    kind: "select",
    options: ["realtime", "cascaded"],
  },
  {
    key: "speech.input",
    section: SPEECH,
    group: "Voice mode",
    label: "Input",
    help: "Push-to-talk listens while you hold the button; hands-free listens all the time.",
    kind: "select",
    options: ["push-to-talk", "hands-free"],
  },
  provider("speech.realtime", SPEECH, "Realtime model"),
  {
    key: "speech.realtime.model",
    section: SPEECH,
    group: "Realtime model",
    label: "Model",
    help: "A speech-to-speech model.",
    kind: "text",
  },
  {
    key: "speech.realtime.voice",
    section: SPEECH,
    group: "Realtime model",
    label: "Voice",
    help: "The voice the agent speaks with.",
    kind: "voice",
  },
  ...endpoint("speech.realtime", SPEECH, "Realtime model"),
  {
    key: "speech.turnDetection.type",
    section: SPEECH,
    group: "Turn detection",
    label: "Detector",
    help: "Server VAD ends your turn after silence; semantic VAD also listens to whether you sounded finished.",
    kind: "select",
    options: ["server_vad", "semantic_vad"],
  },
  {
    key: "speech.turnDetection.threshold",
    section: SPEECH,
    group: "Turn detection",
    label: "Threshold",
    help: "Server VAD, 0 to 1: higher needs louder speech (good in noisy rooms).",
    kind: "number",
    step: 0.05,
  },
  {
    key: "speech.turnDetection.prefixPaddingMs",
    section: SPEECH,
    group: "Turn detection",
    label: "Prefix padding (ms)",
    help: "Audio kept from just before speech starts.",
    kind: "number",
    step: 50,
  },
  {
    key: "speech.turnDetection.silenceMs",
    section: SPEECH,
    group: "Turn detection",
    label: "Silence (ms)",
    help: "How long a pause ends your turn.",
    kind: "number",
    step: 50,
  },
  {
    key: "speech.turnDetection.eagerness",
    section: SPEECH,
    group: "Turn detection",
    label: "Eagerness",
    help: "Semantic VAD: how quickly the agent answers.",
    kind: "select",
    options: ["low", "medium", "high", "auto"],
  },
  {
    key: "speech.bargeIn.enabled",
    section: SPEECH,
    group: "Barge-in",
    label: "Interrupt by speaking",
    help: "Speaking while the agent talks stops it and lets you go on.",
    kind: "boolean",
  },
  {
    key: "speech.bargeIn.sensitivity",
    section: SPEECH,
    group: "Barge-in",
    label: "Sensitivity",
    help: "0 to 1: higher interrupts on quieter speech.",
    kind: "number",
    step: 0.05,
  },
  {
    key: "speech.maxCallMinutes",
    section: SPEECH,
    group: "Calls",
    label: "Longest call (minutes)",
    help: "A voice call ends after this long; the daily voice budget may end it sooner.",
    kind: "number",
    step: 1,
  },
  provider("speech.stt", SPEECH, "Speech to text"),
  {
    key: "speech.stt.model",
    section: SPEECH,
    group: "Speech to text",
    label: "Model",
    help: "A transcription model.",
    kind: "text",
  },
  {
    key: "speech.stt.language",
    section: SPEECH,
    group: "Speech to text",
    label: "Language",
    help: "An ISO 639 code such as en or pt-BR; empty detects it.",
    kind: "text",
  },
  ...endpoint("speech.stt", SPEECH, "Speech to text"),
  provider("speech.tts", SPEECH, "Text to speech"),
  {
    key: "speech.tts.model",
    section: SPEECH,
    group: "Text to speech",
    label: "Model",
    help: "A speech model.",
    kind: "text",
  },
  {
    key: "speech.tts.voice",
    section: SPEECH,
    group: "Text to speech",
    label: "Voice",
    help: "The voice answers are read in.",
    kind: "voice",
  },
  {
    key: "speech.tts.speed",
    section: SPEECH,
    group: "Text to speech",
    label: "Speed",
    help: "0.25 to 4; 1 is normal.",
    kind: "number",
    step: 0.05,
  },
  ...endpoint("speech.tts", SPEECH, "Text to speech"),

  {
    key: "agent.systemPrompt",
    section: "agent",
    group: "Agent",
    label: "System prompt additions",
    help: "Added to the agent's instructions for every conversation.",
    kind: "textarea",
  },
  {
    key: "agent.maxSteps",
    section: "agent",
    group: "Agent",
    label: "Maximum steps per turn",
    help: "Model calls one answer may take (each tool use is a step).",
    kind: "number",
    step: 1,
  },
  {
    key: "agent.toolTimeoutMs",
    section: "agent",
    group: "Agent",
    label: "Tool timeout (ms)",
    help: "A tool that runs longer is stopped.",
    kind: "number",
    step: 1000,
  },
  {
    key: "agent.allowedTools",
    section: "agent",
    group: "Agent",
    label: "Allowed tools",
    help: "Tools the agent may use, within what your organisation's policy allows.",
    kind: "tools",
  },
  {
    key: "memory.hybridWeight",
    section: "agent",
    group: "Memory",
    label: "Meaning weight",
    help: "How much a memory search ranks by meaning (the embedding model) rather than by words. 0 searches by words only.",
    kind: "number",
    step: 0.05,
  },
  {
    key: "memory.minSimilarity",
    section: "agent",
    group: "Memory",
    label: "Least similarity",
    help: "A memory that shares no word with the search is found by meaning only when at least this similar (0 to 1).",
    kind: "number",
    step: 0.05,
  },
];

export const FIELD_BY_KEY = new Map(FIELDS.map((f) => [f.key, f]));
export const isSecretField = (key: string) => FIELD_BY_KEY.get(key)?.kind === "secret";
/** "models.chat.apiKey" -> "models.chat" */
export const secretGroup = (key: string) => key.slice(0, key.lastIndexOf("."));
