// docker-compose.yml is valid for `docker compose config` (the client needs no engine for this).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { ROOT } from "../helpers/services";

const run = promisify(execFile);

describe("docker-compose.yml", () => {
  it("passes docker compose config with every profile, health-gated as the runtime document says", async () => {
    const { stdout } = await run(
      "docker",
      [
        "compose",
        "--profile",
        "core",
        "--profile",
        "dev",
        "--profile",
        "speech",
        "config",
        "--format",
        "json",
      ],
      // The passwords scripts/compose-env.sh would generate.
      { cwd: ROOT, env: { ...process.env, POSTGRES_PASSWORD: "pg-test", REDIS_PASSWORD: "redis-test" } },
    );
    const cfg = JSON.parse(stdout) as {
      services: Record<
        string,
        { depends_on?: Record<string, { condition: string }>; healthcheck?: unknown; profiles?: string[] }
      >;
    };
    for (const name of ["postgres", "redis", "kafka", "openfga", "opa"]) {
      expect(cfg.services[name]?.profiles).toContain("core");
      expect(cfg.services[name]?.healthcheck, `${name} has a health check`).toBeTruthy();
    }
    const gw = cfg.services.gateway!;
    expect(gw.depends_on?.postgres?.condition).toBe("service_healthy");
    expect(gw.depends_on?.redis?.condition).toBe("service_healthy");
    expect(gw.depends_on?.kafka?.condition).toBe("service_healthy");
    expect(gw.depends_on?.["openfga-migrate"]?.condition).toBe("service_completed_successfully");
    expect(cfg.services.openfga?.depends_on?.["openfga-migrate"]?.condition).toBe(
      "service_completed_successfully",
    );
    expect(Object.keys(cfg.services)).toEqual(
      expect.arrayContaining(["tool-executor", "scheduler", "migrate"]),
    );
    expect(YAML.parse(YAML.stringify(cfg))).toBeTruthy();
  });
});
