// A realtime session's configuration as the OpenAI GA API shapes it (`session.created`,
// `session.updated`, client secrets): defaults, the merge a `session.update` does, and the few
// settings the stub acts on (turn detection, voice, speed, tools, model).

export interface TurnDetection {
  type: "server_vad" | "semantic_vad";
  threshold?: number;
  prefix_padding_ms?: number;
  silence_duration_ms?: number;
  create_response?: boolean;
  interrupt_response?: boolean;
  eagerness?: string;
  idle_timeout_ms?: number | null;
}

export interface RealtimeFunctionTool {
  type: "function";
  name: string;
  description?: string;
  parameters?: unknown;
}

export type RealtimeSession = Record<string, unknown> & {
  type: "realtime";
  object: "realtime.session";
  id: string;
  model: string;
  tools: unknown[];
  audio: {
    input: Record<string, unknown> & { turn_detection: TurnDetection | null };
    output: Record<string, unknown> & { voice: string; speed: number };
  };
};

export const DEFAULT_MODEL = "gpt-realtime";

export function defaultSession(id: string): RealtimeSession {
  return {
    type: "realtime",
    object: "realtime.session",
    id,
    model: DEFAULT_MODEL,
    output_modalities: ["audio"],
    instructions: "",
    tools: [],
    tool_choice: "auto",
    max_output_tokens: "inf",
    tracing: null,
    truncation: "auto",
    prompt: null,
    include: null,
    audio: {
      input: {
        format: { type: "audio/pcm", rate: 24_000 },
        transcription: null,
        noise_reduction: null,
        turn_detection: {
          type: "server_vad",
          threshold: 0.5,
          prefix_padding_ms: 300,
          silence_duration_ms: 500,
          create_response: true,
          interrupt_response: true,
          idle_timeout_ms: null,
        },
      },
      output: { format: { type: "audio/pcm", rate: 24_000 }, voice: "alloy", speed: 1 },
    },
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Why an update cannot be applied (the `error` event's code and message), or undefined. */
export interface SessionProblem {
  code: string;
  message: string;
  param: string;
}

/**
 * Checks a client's session object. The GA API keeps turn detection, voice and formats under
 * `audio.input` / `audio.output`; the beta's top-level fields are refused as unknown, as the GA API
 * does, so a client written against the beta shape fails loudly here rather than in production.
 */
export function checkSession(update: unknown): SessionProblem | undefined {
  if (!isObject(update))
    return { code: "invalid_type", message: "session must be an object.", param: "session" };
  for (const beta of [
    "turn_detection",
    "voice",
    "input_audio_format",
    "output_audio_format",
    "input_audio_transcription",
    "modalities",
  ])
    if (beta in update)
      return {
        code: "unknown_parameter",
        message: `Unknown parameter: 'session.${beta}'. The GA API takes it under session.audio.input / session.audio.output.`,
        param: `session.${beta}`,
      };
  if ("type" in update && update.type !== "realtime")
    return {
      code: "invalid_value",
      message: "The stub serves realtime (speech-to-speech) sessions only: session.type must be 'realtime'.",
      param: "session.type",
    };
  if ("tools" in update && !Array.isArray(update.tools))
    return { code: "invalid_type", message: "session.tools must be an array.", param: "session.tools" };
  const audio = update.audio;
  if (audio !== undefined && !isObject(audio))
    return { code: "invalid_type", message: "session.audio must be an object.", param: "session.audio" };
  const td = isObject(audio) && isObject(audio.input) ? audio.input.turn_detection : undefined;
  if (
    td !== undefined &&
    td !== null &&
    !(isObject(td) && (td.type === "server_vad" || td.type === "semantic_vad"))
  )
    return {
      code: "invalid_value",
      message: "session.audio.input.turn_detection.type must be 'server_vad' or 'semantic_vad' (or null).",
      param: "session.audio.input.turn_detection",
    };
  return undefined;
}

/** `base` with `update` merged in: objects key by key, everything else (arrays, null) replaced. */
export function mergeSession<T extends Record<string, unknown>>(base: T, update: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(update)) {
    if (key === "id" || key === "object") continue; // fixed by the server
    const prev = out[key];
    // A new turn-detection type starts from that type's defaults, not the old type's fields.
    if (key === "turn_detection" && isObject(value) && isObject(prev) && value.type !== prev.type)
      out[key] = { ...value };
    else out[key] = isObject(value) && isObject(prev) ? mergeSession(prev, value) : value;
  }
  return out as T;
}

export function turnDetection(session: RealtimeSession): TurnDetection | null {
  return session.audio.input.turn_detection ?? null;
}

/** The session's function tool called `name`, if it has one. */
export function functionTool(session: RealtimeSession, name: string): RealtimeFunctionTool | undefined {
  return session.tools.find(
    (t): t is RealtimeFunctionTool => isObject(t) && t.type === "function" && t.name === name,
  );
}
