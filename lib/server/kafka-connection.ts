// TLS and SASL for the kafkajs client, from the kafka.* settings (managed Kafka: MSK, Confluent Cloud,
// Aiven, Strimzi with TLS listeners). The SASL password is a secret read by name, never a setting.
import fs from "node:fs";
import type { KafkaConfig, SASLOptions } from "kafkajs";
import { processEnv, readSecret, type EnvMap } from "../config/env";
import { ConfigError } from "../config/errors";
import type { Settings } from "../config";

export const KAFKA_SASL_PASSWORD_ENV = "SOMA_KAFKA_SASL_PASSWORD";

export type KafkaConnection = Pick<KafkaConfig, "ssl" | "sasl">;

/**
 * The `ssl` and `sasl` options of `new Kafka()`. Throws a ConfigError naming the setting to fix when a
 * file cannot be read or SASL has no password; processes call it at start (server/config.ts), so they
 * stop with that reason rather than fail later on a broker.
 */
export function kafkaConnection(
  kafka: Settings["kafka"],
  env: EnvMap = processEnv(),
  readFile: (file: string) => string = (file) => fs.readFileSync(file, "utf8"),
): KafkaConnection {
  const out: KafkaConnection = {};
  const read = (file: string, key: string) => {
    try {
      return readFile(file);
    } catch (err) {
      const problem = {
        origin: "settings",
        key: `kafka.${key}`,
        reason: `cannot read ${file}: ${(err as Error).message}`,
      };
      throw Object.assign(new ConfigError([problem]), { cause: err });
    }
  };
  if (kafka.ssl) {
    const files = {
      ...(kafka.sslCaFile ? { ca: [read(kafka.sslCaFile, "sslCaFile")] } : {}),
      ...(kafka.sslCertFile ? { cert: read(kafka.sslCertFile, "sslCertFile") } : {}),
      ...(kafka.sslKeyFile ? { key: read(kafka.sslKeyFile, "sslKeyFile") } : {}),
    };
    // No files: TLS verified against Node's bundled CAs (what public managed services need).
    out.ssl = Object.keys(files).length > 0 ? { ...files, rejectUnauthorized: true } : true;
  } else if (kafka.sslCaFile || kafka.sslCertFile || kafka.sslKeyFile) {
    throw new ConfigError([
      {
        origin: "settings",
        key: "kafka.ssl",
        reason: "kafka.sslCaFile, sslCertFile and sslKeyFile need kafka.ssl=true (SOMA_KAFKA_SSL)",
      },
    ]);
  }
  if (kafka.saslMechanism !== "") {
    const password = readSecret(KAFKA_SASL_PASSWORD_ENV, env);
    if (password === undefined)
      throw new ConfigError([
        {
          origin: `environment variable ${KAFKA_SASL_PASSWORD_ENV}`,
          key: "kafka.saslMechanism",
          reason: `SASL ${kafka.saslMechanism} needs the password, and ${KAFKA_SASL_PASSWORD_ENV} is not set`,
        },
      ]);
    out.sasl = { mechanism: kafka.saslMechanism, username: kafka.saslUsername, password } as SASLOptions;
  }
  return out;
}
