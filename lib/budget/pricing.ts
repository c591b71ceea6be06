// What a turn cost: the provider's price per million tokens for the model (conf/model_providers.yaml
// `prices`), or 0 when the provider lists no price for it.
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
