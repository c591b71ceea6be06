// Loads configuration at process start; a bad file or value stops the process with file/key/reason.
import { ConfigError, getConfig, type LoadedConfig } from "../lib/config";
import { kafkaConnection } from "../lib/server/kafka-connection";

export function loadConfigOrExit(processName: string): LoadedConfig {
  try {
    const config = getConfig();
    const { kafka, bus } = config.settings;
    // Kafka's TLS files and SASL secret are read now, so a missing one stops the process here
    // rather than failing every broker call later.
    if (kafka.enabled || bus.transport === "kafka") kafkaConnection(kafka);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${processName}: invalid configuration, not starting:\n`);
      for (const line of err.message.split("\n")) process.stderr.write(`  - ${line}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}
