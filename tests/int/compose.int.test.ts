// docker-compose.yml is valid for `docker compose config` (the client needs no engine for this).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
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

  it("runs Prometheus and Grafana under the monitoring profile, from the committed config, on loopback", async () => {
    const { stdout } = await run(
      "docker",
      [
        "compose",
        "--profile",
        "core",
        "--profile",
        "dev",
        "--profile",
        "monitoring",
        "config",
        "--format",
        "json",
      ],
      { cwd: ROOT, env: { ...process.env, POSTGRES_PASSWORD: "pg-test", REDIS_PASSWORD: "redis-test" } },
    );
    type Mount = { type: string; source: string; target: string };
    type Port = { host_ip?: string; published?: string };
    const cfg = JSON.parse(stdout) as {
      services: Record<string, { profiles?: string[]; volumes?: Mount[]; ports?: Port[] }>;
    };
    for (const [name, files] of [
      [
        "prometheus",
        [
          "deploy/prometheus/prometheus.yml",
          "deploy/prometheus/alerts.yml",
          "deploy/prometheus/targets/compose",
        ],
      ],
      ["grafana", ["deploy/grafana/provisioning", "deploy/grafana/dashboards"]],
    ] as const) {
      const svc = cfg.services[name]!;
      expect(svc.profiles).toEqual(["monitoring"]);
      const sources = (svc.volumes ?? []).filter((v) => v.type === "bind").map((v) => v.source);
      for (const f of files) {
        expect(sources, `${name} mounts ${f}`).toContain(path.join(ROOT, f));
        expect(existsSync(path.join(ROOT, f)), `${f} is committed`).toBe(true);
      }
      for (const p of svc.ports ?? [])
        expect(p.host_ip, `${name} publishes on loopback only`).toBe("127.0.0.1");
    }
    // Without the profile, neither runs.
    const { stdout: plain } = await run(
      "docker",
      ["compose", "--profile", "core", "--profile", "dev", "config", "--services"],
      {
        cwd: ROOT,
        env: { ...process.env, POSTGRES_PASSWORD: "pg-test", REDIS_PASSWORD: "redis-test" },
      },
    );
    expect(plain.split("\n")).not.toContain("prometheus");
    expect(plain.split("\n")).not.toContain("grafana");
  });
});
