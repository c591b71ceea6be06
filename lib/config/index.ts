// Configuration entry point: load once at start (fail fast with file/key/reason), reload on demand.
import { singleton } from "../singleton";
import { loadConfig, type LoadedConfig, type LoadOptions } from "./load";

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

/** Re-reads every source (after the settings file changed); keeps the old config if the new one is invalid. */
export function reloadConfig(options?: LoadOptions): LoadedConfig {
  const next = loadConfig(options);
  holder.current = next;
  return next;
}
