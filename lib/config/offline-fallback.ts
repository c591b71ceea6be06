// The offline demo model as the fallback of a model role (or speech service): when its provider cannot be used
// (its key is missing) and nobody chose that provider (nothing in env, settings or tenants.yaml names
// it), the role uses the project's offline provider, if one runs (offline.baseUrl, set by
// `make dev-up` when it starts one). A key or a provider configured later wins at the next reload.
import type { SourceName } from "./sources";

export const OFFLINE_PROVIDER = "offline";

/** Sources through which a person chose something; providers and code defaults are nobody's choice. */
const CHOSEN_BY: ReadonlySet<SourceName> = new Set(["env", "settings", "tenant"]);

export interface FallbackInput {
  /** Where the offline provider answers; empty when none runs. */
  offlineBaseUrl: string;
  /** Which source set each field that says which provider is used (provider, model, baseUrl, apiKeyEnv). */
  sources: Partial<Record<string, SourceName>>;
  /** The role's provider needs a key (conf/model_providers.yaml `keyRequired`). */
  keyRequired: boolean;
  /** A key is in the provider's variable or stored by the settings panel. */
  keyAvailable: boolean;
}

export type FallbackDecision =
  { fallback: true } | { fallback: false; why: "no offline provider" | "usable" | "chosen" };

export function decideOfflineFallback(input: FallbackInput): FallbackDecision {
  if (!input.offlineBaseUrl) return { fallback: false, why: "no offline provider" };
  if (!input.keyRequired || input.keyAvailable) return { fallback: false, why: "usable" };
  const chosen = Object.values(input.sources).some((source) => source !== undefined && CHOSEN_BY.has(source));
  return chosen ? { fallback: false, why: "chosen" } : { fallback: true };
}
