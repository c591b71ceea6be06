// Processes refuse to start on bad configuration and say where and why (no stack trace alone).
import { describe, expect, it } from "vitest";
import { startProcess } from "../helpers/services";

const exitOf = (p: ReturnType<typeof startProcess>) =>
  new Promise<number | null>((resolve) => p.once("exit", (code) => resolve(code)));

describe("start-up with invalid configuration", () => {
  it("the gateway stops with the variable, key and reason", async () => {
    const p = startProcess("npx", ["tsx", "server/index.ts"], { PORT: "not-a-port" });
    expect(await exitOf(p)).toBe(78);
    expect(p.output()).toContain('environment variable PORT: server.port: "not-a-port" is not a number');
    expect(p.output()).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("a worker stops naming the bad file and key", async () => {
    const p = startProcess("npx", ["tsx", "workers/tool-executor/index.ts"], {
      SOMA_CONF_DIR: "tests/fixtures/bad-conf",
    });
    expect(await exitOf(p)).toBe(78);
    expect(p.output()).toContain(
      "tests/fixtures/bad-conf/tenants.yaml: tenants.default.rateLimits.chatMessages",
    );
  });

  it("a worker stops when Kafka SASL has no password, naming the variable", async () => {
    const p = startProcess("npx", ["tsx", "workers/scheduler/index.ts"], {
      SOMA_KAFKA_SASL_MECHANISM: "scram-sha-512",
      SOMA_KAFKA_SASL_USERNAME: "soma",
    });
    expect(await exitOf(p)).toBe(78);
    expect(p.output()).toContain(
      "environment variable SOMA_KAFKA_SASL_PASSWORD: kafka.saslMechanism: SASL scram-sha-512 needs the password",
    );
    expect(p.output()).not.toMatch(/\n\s+at /);
  });
});
