// What a turn cost: the provider's price per million tokens for the model (conf/model_providers.yaml
// `prices`), or 0 when the provider lists no price for it. A realtime answer is priced per token
// kind: text and audio, in and out.
import { getConfig } from "../config";

export function costUsd(
  provider: string,
  model: string,
  usage: { promptTokens: number; completionTokens: number },
): number {
  const price = getConfig().providers[provider]?.prices[model];
  if (!price) return 0;
  return (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1_000_000;
}

/** Tokens of a realtime answer, by kind (the provider's `response.done` usage details). */
export interface RealtimeTokens {
  textIn: number;
  audioIn: number;
  textOut: number;
  audioOut: number;
}

export function realtimeCostUsd(provider: string, model: string, t: RealtimeTokens): number {
  const price = getConfig().providers[provider]?.prices[model];
  if (!price) return 0;
  const audioIn = price.audioInput ?? price.input;
  const audioOut = price.audioOutput ?? price.output;
  return (
    (t.textIn * price.input + t.audioIn * audioIn + t.textOut * price.output + t.audioOut * audioOut) /
    1_000_000
  );
}
