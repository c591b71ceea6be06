// Where a provider key may go. A settings admin chooses addresses and variable names, so neither may
// become a way to send the deployment's keys (or any other variable) elsewhere:
// - a group's key variable (apiKeyEnv) is one a provider of conf/model_providers.yaml names, or a
//   SOMA_PROVIDER_KEY_* variable made for the purpose; never DATABASE_URL or the like;
// - a key held in an environment variable goes only to the address the same source pairs it with:
//   the providers file (its provider's baseUrl) or the environment (a base URL set there too);
// - "Test connection" never reaches link-local or cloud metadata addresses.
import { addressKind } from "../net/address";
import type { LoadedConfig } from "../config";

const OWN_KEY_VARIABLE = /^SOMA_PROVIDER_KEY_[A-Z0-9_]+$/;

/** The variables a group may name as its key variable. */
export function keyVariableAllowed(name: string, providers: LoadedConfig["providers"]): boolean {
  return OWN_KEY_VARIABLE.test(name) || Object.values(providers).some((p) => p.apiKeyEnv === name);
}

export function keyVariableHint(providers: LoadedConfig["providers"]): string {
  const names = [...new Set(Object.values(providers).map((p) => p.apiKeyEnv))].sort();
  return `a provider's key variable (${names.join(", ")}) or SOMA_PROVIDER_KEY_<NAME>`;
}

/** Base URLs compared as a provider would see them: case-insensitive scheme and host, no trailing slash. */
export function sameAddress(a: string, b: string): boolean {
  const norm = (u: string) => {
    try {
      const url = new URL(u);
      return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`.toLowerCase();
    } catch {
      return u.replace(/\/+$/, "").toLowerCase();
    }
  };
  return norm(a) === norm(b);
}

/**
 * Whether the key in environment variable `apiKeyEnv` may be sent to `baseUrl` for `group`
 * ("models.chat", "speech.tts", ...): the providers file pairs that variable with that address, or
 * the environment set the group's address itself.
 */
export function envKeyMayGoTo(
  config: LoadedConfig,
  group: string,
  apiKeyEnv: string,
  baseUrl: string,
): boolean {
  if (config.provenance[`${group}.baseUrl`]?.source === "env") return true;
  return Object.values(config.providers).some(
    (p) => p.apiKeyEnv === apiKeyEnv && sameAddress(p.baseUrl, baseUrl),
  );
}

/**
 * Addresses Test connection never reaches: link-local (169.254.0.0/16 and fe80::/10, where the cloud
 * metadata services answer) and AWS's IPv6 metadata address. Pure; callers resolve names first.
 */
export function forbiddenAddress(address: string): boolean {
  const kind = addressKind(address);
  return kind === "link-local" || kind === "metadata";
}
