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

export function realtimeSession(input: InputMode): object {
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
    tools: realtimeTools(),
    tool_choice: "auto",
  };
}
