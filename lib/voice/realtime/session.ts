// The realtime session the gateway asks for (GA shape): the agent's instructions, the tools the
// settings allow, the voice, turn detection from settings (none for push-to-talk: the gateway
// commits the person's turn), and transcription of the person's words. Built on the server only,
// so the page cannot change instructions or tools.
import { getConfig } from "../../config";
import { systemPrompt } from "../../agent/context";
import { realtimeTools } from "../../agent/run-turn";

export type InputMode = "push-to-talk" | "hands-free";

export function turnDetection(input: InputMode): object | null {
  if (input === "push-to-talk") return null;
  const t = getConfig().settings.speech.turnDetection;
  const common = { create_response: true, interrupt_response: getConfig().settings.speech.bargeIn.enabled };
  return t.type === "semantic_vad"
    ? { type: "semantic_vad", eagerness: t.eagerness, ...common }
    : {
        type: "server_vad",
        threshold: t.threshold,
        prefix_padding_ms: t.prefixPaddingMs,
        silence_duration_ms: t.silenceMs,
        ...common,
      };
}

export interface RealtimeSession {
  type: "realtime";
  instructions: string;
  tools: ReturnType<typeof realtimeTools>;
  [key: string]: unknown;
}

/**
 * The session for a call. `tools: false` for a direct start's client secret: the browser holds that
 * session, so it gets no tools until the gateway attaches and adds them over its sideband.
 */
export function realtimeSession(input: InputMode, opts: { tools?: boolean } = {}): RealtimeSession {
  const { speech, agent } = getConfig().settings;
  return {
    type: "realtime",
    model: speech.realtime.model,
    instructions: systemPrompt(agent.systemPrompt),
    output_modalities: ["audio"],
    audio: {
      input: {
        transcription: {
          model: speech.stt.model,
          ...(speech.stt.language ? { language: speech.stt.language } : {}),
        },
        turn_detection: turnDetection(input),
      },
      output: { voice: speech.realtime.voice },
    },
    tools: opts.tools === false ? [] : realtimeTools(),
    tool_choice: "auto",
  };
}

/** What of a session the page must not change: the instructions and the tools (names, descriptions). */
export function guardedPart(session: { instructions?: unknown; tools?: unknown }): string {
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  const tools = Array.isArray(session.tools)
    ? (session.tools as { name?: unknown; description?: unknown }[])
    : [];
  return JSON.stringify({
    instructions: text(session.instructions),
    tools: tools.map((t) => [text(t.name), text(t.description)]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
  });
}
