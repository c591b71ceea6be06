// docker-compose.yml publishes the gateway only: the backing services are reachable inside the
// compose network, their passwords come from .env (scripts/compose-env.sh), local engines bind to
// loopback.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";

const ROOT = path.resolve(import.meta.dirname, "../..");
const compose = YAML.parse(fs.readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8")) as {
  services: Record<
    string,
    {
      ports?: string[];
      environment?: Record<string, string>;
      command?: string[];
      user?: string;
      cap_add?: string[];
      cap_drop?: string[];
      privileged?: boolean;
      security_opt?: string[];
    }
  >;
};

describe("docker-compose.yml exposure", () => {
  it("publishes no backing service port", () => {
    for (const name of ["postgres", "redis", "kafka", "openfga", "openfga-migrate", "opa", "migrate"])
      expect(compose.services[name]?.ports, `${name} publishes no port`).toBeUndefined();
    expect(compose.services.gateway?.ports?.[0]).toContain(":3000");
  });

  it("binds the local speech engines to loopback", () => {
    for (const name of ["speaches", "kokoro"])
      for (const p of compose.services[name]?.ports ?? []) expect(p.startsWith("127.0.0.1:")).toBe(true);
  });

  it("takes the Postgres and Redis passwords from the environment, never a literal", () => {
    expect(compose.services.postgres?.environment?.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    expect(compose.services.redis?.command).toContain("--requirepass");
    const text = fs.readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8");
    expect(text).not.toMatch(/soma:soma@/);
  });
});

describe("docker-compose.yml privileges", () => {
  it("runs only the tool executor as root, with the few capabilities its sandbox needs and no new privileges", () => {
    const executor = compose.services["tool-executor"]!;
    expect(executor.user).toBe("root");
    expect(executor.cap_drop).toEqual(["ALL"]);
    // The list tests/int/executor-sandbox-check.int.test.ts starts the executor with.
    expect(executor.cap_add).toEqual(["SETUID", "SETGID", "CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL"]);
    expect(executor.security_opt).toContain("no-new-privileges:true");
    expect(executor.privileged).toBeUndefined();
    for (const [name, service] of Object.entries(compose.services)) {
      if (name === "tool-executor") continue;
      expect(service.user, `${name} keeps the image's user`).toBeUndefined();
      expect(service.cap_add, `${name} gets no capabilities`).toBeUndefined();
      expect(service.security_opt, `${name} keeps Docker's confinement`).toBeUndefined();
      expect(service.privileged).toBeUndefined();
    }
  });
});
