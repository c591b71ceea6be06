// Loads configuration at process start; a bad file or value stops the process with file/key/reason.
import { ConfigError, getConfig, type LoadedConfig } from "../lib/config";

export function loadConfigOrExit(processName: string): LoadedConfig {
  try {
    return getConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${processName}: invalid configuration, not starting:\n`);
      for (const line of err.message.split("\n")) process.stderr.write(`  - ${line}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}
