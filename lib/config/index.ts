// Configuration entry point: loaded once at start (fail fast with file/key/reason).
import { singleton } from "../singleton";
import { loadConfig, type LoadedConfig } from "./load";

export { loadConfig, SOURCES } from "./load";
export type { LoadedConfig, LoadOptions, Provenance, SourceName } from "./load";
export { ConfigError, formatProblem } from "./errors";
export type { Settings } from "./schema";
export { readSecret } from "./env";

const holder = singleton("config", () => ({ current: undefined as LoadedConfig | undefined }));

export function getConfig(): LoadedConfig {
  holder.current ??= loadConfig();
  return holder.current;
}

/**
 * Reads every source again (after the settings API changed tmp/settings.json). On a problem the
 * configuration in use stays as it was and the error is thrown to the caller.
 */
export function reloadConfig(): LoadedConfig {
  const next = loadConfig();
  holder.current = next;
  return next;
}
