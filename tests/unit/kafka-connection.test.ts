// SOMA_KAFKA_SSL* and SOMA_KAFKA_SASL_* reach kafkajs as its ssl and sasl options, through the settings
// (validated once) and the password secret (read by name, never a setting).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "@/lib/config";
import { kafkaConnection } from "@/lib/server/kafka-connection";

const ROOT = path.resolve(import.meta.dirname, "../..");
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "soma-kafka-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function load(env: Record<string, string>) {
  return loadConfig({ root: ROOT, env, settingsFile: path.join(dir, "settings.json") }).settings;
}
function connection(env: Record<string, string>) {
  return kafkaConnection(load(env).kafka, env);
}
function pem(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe("Kafka TLS and SASL from the environment", () => {
  it("adds neither by default (the local broker)", () => {
    expect(connection({})).toEqual({});
  });

  it("turns TLS on with Node's CAs when no file is given", () => {
    expect(connection({ SOMA_KAFKA_SSL: "true" })).toEqual({ ssl: true });
  });

  it("reads the CA bundle and the client certificate and key from their files", () => {
    const env = {
      SOMA_KAFKA_SSL: "1",
      SOMA_KAFKA_SSL_CA_FILE: pem("ca.pem", "CA-PEM"),
      SOMA_KAFKA_SSL_CERT_FILE: pem("client.pem", "CERT-PEM"),
      SOMA_KAFKA_SSL_KEY_FILE: pem("client.key", "KEY-PEM"),
    };
    expect(connection(env)).toEqual({
      ssl: { ca: ["CA-PEM"], cert: "CERT-PEM", key: "KEY-PEM", rejectUnauthorized: true },
    });
  });

  it("maps SCRAM with the user name from settings and the password from its secret only", () => {
    const env = {
      SOMA_KAFKA_SSL: "true",
      SOMA_KAFKA_SASL_MECHANISM: "scram-sha-512",
      SOMA_KAFKA_SASL_USERNAME: "soma-app",
      SOMA_KAFKA_SASL_PASSWORD: "s3cret-pw",
    };
    const settings = load(env);
    expect(JSON.stringify(settings)).not.toContain("s3cret-pw");
    expect(kafkaConnection(settings.kafka, env)).toEqual({
      ssl: true,
      sasl: { mechanism: "scram-sha-512", username: "soma-app", password: "s3cret-pw" },
    });
  });

  it("maps PLAIN over a plaintext listener (SASL_PLAINTEXT)", () => {
    const env = {
      SOMA_KAFKA_SASL_MECHANISM: "plain",
      SOMA_KAFKA_SASL_USERNAME: "u",
      SOMA_KAFKA_SASL_PASSWORD: "p",
    };
    expect(connection(env)).toEqual({ sasl: { mechanism: "plain", username: "u", password: "p" } });
  });

  it("refuses a mechanism kafkajs does not speak, naming the variable", () => {
    expect(() => load({ SOMA_KAFKA_SASL_MECHANISM: "gssapi", SOMA_KAFKA_SASL_USERNAME: "u" })).toThrow(
      /SOMA_KAFKA_SASL_MECHANISM/,
    );
  });

  it("refuses SASL without a user name", () => {
    let err: unknown;
    try {
      load({ SOMA_KAFKA_SASL_MECHANISM: "plain" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.key)).toContain("kafka.saslUsername");
  });

  it("refuses SASL without the password secret, naming it", () => {
    expect(() => connection({ SOMA_KAFKA_SASL_MECHANISM: "plain", SOMA_KAFKA_SASL_USERNAME: "u" })).toThrow(
      /environment variable SOMA_KAFKA_SASL_PASSWORD: kafka.saslMechanism: SASL plain needs the password/,
    );
  });

  it("refuses a client certificate without its key", () => {
    expect(() => load({ SOMA_KAFKA_SSL: "true", SOMA_KAFKA_SSL_CERT_FILE: "/x.pem" })).toThrow(ConfigError);
  });

  it("refuses certificate files while TLS is off, rather than connecting in plaintext", () => {
    expect(() => connection({ SOMA_KAFKA_SSL_CA_FILE: pem("ca.pem", "x") })).toThrow(ConfigError);
    expect(() => connection({ SOMA_KAFKA_SSL_CA_FILE: pem("ca.pem", "x") })).toThrow(/kafka.ssl=true/);
  });

  it("names the setting and the file when a file cannot be read", () => {
    const missing = path.join(dir, "nope.pem");
    expect(() => connection({ SOMA_KAFKA_SSL: "true", SOMA_KAFKA_SSL_CA_FILE: missing })).toThrow(
      new RegExp(`settings: kafka.sslCaFile: cannot read ${missing}`),
    );
  });
});
