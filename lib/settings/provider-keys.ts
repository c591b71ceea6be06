// Provider API keys entered in the settings panel. They never go into tmp/settings.json: they live
// in provider-keys.json beside it (mode 0600), keyed by the settings group that uses them
// ("models.chat", "speech.tts", ...). The environment variable a group names (apiKeyEnv) wins over
// a stored key, and locks the key field in the settings API.
import fs from "node:fs";
import { getConfig, readSecret } from "../config";
import { providerKeysPath } from "../config/provider-keys-file";
import { writeFileAtomic } from "./atomic-write";
import { envKeyMayGoTo } from "./key-policy";

export function providerKeysFile(): string {
  return providerKeysPath(getConfig().settingsPath);
}

let cache: { file: string; mtimeMs: number; keys: Record<string, string> } | undefined;

export function readProviderKeys(): Record<string, string> {
  const file = providerKeysFile();
  let mtimeMs: number;
  try {
    mtimeMs = fs.statSync(file).mtimeMs;
  } catch {
    return {};
  }
  if (cache?.file === file && cache.mtimeMs === mtimeMs) return cache.keys;
  let keys: Record<string, string> = {};
  try {
    const data = JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
    if (data && typeof data === "object" && !Array.isArray(data))
      keys = Object.fromEntries(
        Object.entries(data).filter((e): e is [string, string] => typeof e[1] === "string"),
      );
  } catch {
    keys = {};
  }
  cache = { file, mtimeMs, keys };
  return keys;
}

/**
 * The key a group's requests to `baseUrl` use: its environment variable when that variable belongs
 * with this address (key-policy.ts), else the one stored by the settings API for the group.
 */
export function providerKey(group: string, apiKeyEnv: string, baseUrl: string): string | undefined {
  const fromEnv = readSecret(apiKeyEnv);
  if (fromEnv !== undefined && envKeyMayGoTo(getConfig(), group, apiKeyEnv, baseUrl)) return fromEnv;
  return readProviderKeys()[group];
}

/** Sets (string) or clears (null) stored keys; the file is replaced atomically, readable by its owner only. */
export function writeProviderKeys(update: Record<string, string | null>): void {
  const keys = { ...readProviderKeys() };
  for (const [group, value] of Object.entries(update)) {
    if (value === null || value === "") delete keys[group];
    else keys[group] = value;
  }
  writeFileAtomic(providerKeysFile(), `${JSON.stringify(keys, null, 2)}\n`, 0o600);
  cache = undefined;
}

/** Replaces every stored key at once (this host's copy of the shared keys). */
export function replaceProviderKeys(keys: Record<string, string>): void {
  writeFileAtomic(providerKeysFile(), `${JSON.stringify(keys, null, 2)}\n`, 0o600);
  cache = undefined;
}
