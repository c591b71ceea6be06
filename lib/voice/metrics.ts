// Voice metrics on the gateway's registry: per-stage latency (one clock, the gateway's), active calls,
// how calls end, provider errors, echoes dropped and interruptions that turned out to be noise.
import client from "prom-client";
import { metrics } from "../server/metrics";
import { singleton } from "../singleton";

/**
 * From the end of the person's speech: stt (the transcript in hand), llm_ttft (the answer's first
 * token), first_sentence (its first piece cut to speak), e2e (its first audio sent); tts_ttfb: a
 * piece's first synthesised audio after it was asked for; send: audio queued at an idle peer to its
 * first packet sent; barge_in: the person's voice detected to the agent silenced; vad_queue: the audio
 * that decided a speech onset or a turn's end arrived to the decision (the frame's wait behind other
 * work and its VAD run); tool_output: a realtime function call to its output sent back.
 */
export type VoiceStage =
  | "stt"
  | "llm_ttft"
  | "first_sentence"
  | "tts_ttfb"
  | "send"
  | "e2e"
  | "barge_in"
  | "vad_queue"
  | "tool_output";

export function voiceMetrics() {
  return singleton("voice-metrics", () => {
    const registers = [metrics().registry];
    const stages = new client.Histogram({
      name: "somaagent_voice_stage_seconds",
      help: "Voice pipeline latency by stage (e2e: end of the person's speech to the agent's first audio sent)",
      labelNames: ["stage"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 0.8, 1, 1.5, 2.5, 5],
      registers,
    });
    const relay = new client.Histogram({
      name: "somaagent_realtime_relay_overhead_seconds",
      help: "Time the gateway adds to relaying a realtime call's offer (its time minus the provider's)",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16],
      registers,
    });
    const realtimeOffer = new client.Histogram({
      name: "somaagent_realtime_offer_seconds",
      help: "A realtime call's offer received to the provider's answer returned to the page",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers,
    });
    const offerConnected = new client.Histogram({
      name: "somaagent_voice_offer_connected_seconds",
      help: "A call's offer received to the page's media connected (as the page reports it), by mode",
      labelNames: ["mode"] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers,
    });
    const sessionReverts = new client.Counter({
      name: "somaagent_realtime_session_reverts_total",
      help: "Realtime session changes the gateway did not make (instructions or tools), reverted",
      registers,
    });
    const realtimeActive = new client.Gauge({
      name: "somaagent_realtime_calls_active",
      help: "Realtime voice calls whose sideband this gateway holds",
      registers,
    });
    const active = new client.Gauge({
      name: "somaagent_voice_calls_active",
      help: "Voice calls in progress on this gateway",
      registers,
    });
    const ended = new client.Counter({
      name: "somaagent_voice_calls_ended_total",
      help: "Voice calls ended, by reason",
      labelNames: ["reason"] as const,
      registers,
    });
    const duration = new client.Histogram({
      name: "somaagent_voice_call_seconds",
      help: "How long voice calls lasted, by mode (cascaded or realtime)",
      labelNames: ["mode"] as const,
      buckets: [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
      registers,
    });
    const providerErrors = new client.Counter({
      name: "somaagent_voice_provider_errors_total",
      help: "Speech provider failures, by service and HTTP status (timeout, unreachable: no status)",
      labelNames: ["service", "status"] as const,
      registers,
    });
    const echoDrops = new client.Counter({
      name: "somaagent_voice_echo_drops_total",
      help: "Transcripts dropped because they repeated the agent's own words",
      registers,
    });
    const falseInterruptions = new client.Counter({
      name: "somaagent_voice_false_interruptions_total",
      help: "Pauses for the person's voice that no words followed (the agent went on)",
      registers,
    });
    return {
      stage: (stage: VoiceStage, seconds: number) => stages.observe({ stage }, seconds),
      callStarted: () => active.inc(),
      /** reason "budget" counts the calls the daily voice budget cut off. */
      callEnded: (reason: string, mode: string, seconds: number) => {
        active.dec();
        ended.inc({ reason });
        duration.observe({ mode }, seconds);
      },
      realtimeRelay: (seconds: number) => relay.observe(seconds),
      realtimeOffer: (seconds: number) => realtimeOffer.observe(seconds),
      offerConnected: (mode: string, seconds: number) => offerConnected.observe({ mode }, seconds),
      sessionReverted: () => sessionReverts.inc(),
      realtimeStarted: () => realtimeActive.inc(),
      realtimeEnded: () => realtimeActive.dec(),
      providerError: (service: "stt" | "tts" | "realtime", status?: number | string) =>
        providerErrors.inc({ service, status: status === undefined ? "none" : String(status) }),
      echoDrop: () => echoDrops.inc(),
      falseInterruption: () => falseInterruptions.inc(),
    };
  });
}
