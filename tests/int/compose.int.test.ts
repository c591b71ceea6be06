// docker-compose.yml as `docker compose config` renders it (the client needs no engine for this), for
// each profile on top of core and dev: every dependency is there and waited for the way the runtime
// document says, every long-running service has a health check that probes what the process serves,
// and the app processes reach each service by its name and container port, never by loopback.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { codeDefaults } from "@/lib/config/schema";
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

  it("runs Prometheus, Grafana and Jaeger under the monitoring profile, from the committed config, on loopback", async () => {
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
      {
        cwd: ROOT,
        env: {
          ...process.env,
          POSTGRES_PASSWORD: "pg-test",
          REDIS_PASSWORD: "redis-test",
          // What .env says to trace into the profile's Jaeger (docs/operations.md "Tracing").
          OTEL_EXPORTER_OTLP_ENDPOINT: "http://jaeger:4318",
        },
      },
    );
    type Mount = { type: string; source: string; target: string };
    type Port = { host_ip?: string; published?: string };
    const cfg = JSON.parse(stdout) as {
      services: Record<
        string,
        {
          profiles?: string[];
          volumes?: Mount[];
          ports?: Port[];
          environment?: Record<string, string | null>;
        }
      >;
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
      ["jaeger", ["deploy/jaeger/config.yaml"]],
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
    expect(plain.split("\n")).not.toContain("jaeger");
    // The app processes send their spans to the profile's Jaeger, by its name and OTLP/HTTP port.
    expect(cfg.services.jaeger?.environment?.JAEGER_OTLP_HTTP_ENDPOINT).toBe("0.0.0.0:4318");
    for (const app of ["gateway", "tool-executor", "scheduler"])
      expect(cfg.services[app]?.environment?.OTEL_EXPORTER_OTLP_ENDPOINT, app).toBe("http://jaeger:4318");
  });
});
interface Service {
  profiles?: string[];
  depends_on?: Record<string, { condition: string; required?: boolean }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  environment?: Record<string, string | null>;
  restart?: string;
}
type Config = { services: Record<string, Service> };

async function config(profiles: string[]): Promise<Config> {
  const { stdout } = await run(
    "docker",
    ["compose", ...profiles.flatMap((p) => ["--profile", p]), "config", "--format", "json"],
    // The passwords scripts/compose-env.sh would generate.
    { cwd: ROOT, env: { ...process.env, POSTGRES_PASSWORD: "pg-test", REDIS_PASSWORD: "redis-test" } },
  );
  return JSON.parse(stdout) as Config;
}

// The port each service listens on inside the compose network (the images' own defaults).
const LISTENS: Record<string, number> = {
  postgres: 5432,
  redis: 6379,
  kafka: 9092,
  openfga: 8080,
  opa: 8181,
  gateway: 3000,
  speaches: 8000,
  kokoro: 8880,
};
const ONE_SHOT = new Set(["openfga-migrate", "migrate"]);
const APP = new Set(["gateway", "tool-executor", "scheduler", "migrate"]);
// Addresses the app processes are given, and whether the service behind them is optional (a profile).
const ADDRESSES: Record<string, { optional: boolean }> = {
  DATABASE_URL: { optional: false },
  REDIS_URL: { optional: false },
  KAFKA_BROKERS: { optional: false },
  OPENFGA_API_URL: { optional: false },
  OPA_URL: { optional: false },
  SOMA_BACKUP_OPENFGA_DATABASE_URL: { optional: false }, // backups dump OpenFGA's database too
  SPEACHES_BASE_URL: { optional: true },
  KOKORO_BASE_URL: { optional: true },
};

function hostPort(value: string): { host: string; port: number } {
  const url = new URL(value.includes("://") ? value : `tcp://${value}`);
  return { host: url.hostname, port: Number(url.port) };
}
function probedPort(s: Service): number | undefined {
  const m = /127\.0\.0\.1:(\d+)/.exec((s.healthcheck?.test ?? []).join(" "));
  return m ? Number(m[1]) : undefined;
}

// core and dev together, then each further profile (speech, and any added later) on top of them.
const file = YAML.parse(fs.readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8")) as Config;
const extra = [...new Set(Object.values(file.services).flatMap((s) => s.profiles ?? []))].filter(
  (p) => p !== "core" && p !== "dev",
);
const SETS = [["core"], ["core", "dev"], ...extra.map((p) => ["core", "dev", p])];

describe.each(SETS.map((profiles) => ({ profiles, name: profiles.join("+") })))(
  "docker-compose.yml with $name",
  ({ profiles }) => {
    it("health-checks every long-running service; one-shot jobs never restart", async () => {
      const cfg = await config(profiles);
      for (const [name, s] of Object.entries(cfg.services)) {
        if (ONE_SHOT.has(name)) expect(s.restart, `${name} runs once`).toBe("no");
        else expect(s.healthcheck?.test?.length, `${name} has a health check`).toBeGreaterThan(0);
      }
    });

    it("waits for each dependency as the runtime document says: healthy, or completed for one-shots", async () => {
      const cfg = await config(profiles);
      for (const [name, s] of Object.entries(cfg.services)) {
        for (const [dep, { condition, required }] of Object.entries(s.depends_on ?? {})) {
          const where = `${name} → ${dep}`;
          if (!cfg.services[dep]) {
            expect(required, `${where} is missing from ${profiles.join("+")}, so must be optional`).toBe(
              false,
            );
            continue;
          }
          expect(condition, where).toBe(
            ONE_SHOT.has(dep) ? "service_completed_successfully" : "service_healthy",
          );
        }
      }
      // The app processes start after the migration job, which starts after every backing service.
      for (const name of ["gateway", "tool-executor", "scheduler"].filter((n) => cfg.services[n]))
        expect(cfg.services[name]!.depends_on?.migrate?.condition, name).toBe(
          "service_completed_successfully",
        );
      if (cfg.services.migrate)
        for (const dep of ["postgres", "redis", "kafka", "openfga", "opa"])
          expect(cfg.services.migrate.depends_on?.[dep]?.condition, `migrate → ${dep}`).toBe(
            "service_healthy",
          );
    });

    it("gives the app processes each service's name and container port, never loopback", async () => {
      const cfg = await config(profiles);
      const apps = Object.keys(cfg.services).filter((n) => APP.has(n));
      expect(apps.length > 0).toBe(profiles.includes("dev"));
      for (const name of apps) {
        const env = cfg.services[name]!.environment ?? {};
        for (const [variable, { optional }] of Object.entries(ADDRESSES)) {
          const value = env[variable];
          expect(value, `${name} ${variable}`).toBeTruthy();
          for (const part of value!.split(",")) {
            const { host, port } = hostPort(part);
            const where = `${name} ${variable}=${part}`;
            expect(["127.0.0.1", "localhost", "::1", "[::1]"], where).not.toContain(host);
            expect(LISTENS[host], `${where}: a known service`).toBe(port);
            if (!optional) expect(cfg.services[host], `${where}: in ${profiles.join("+")}`).toBeDefined();
          }
        }
      }
      // With the speech profile on, its engines are there under the names the presets resolve to.
      if (profiles.includes("speech"))
        for (const engine of ["speaches", "kokoro"]) {
          expect(cfg.services[engine], engine).toBeDefined();
          expect(cfg.services.gateway?.depends_on?.[engine]?.condition, `gateway → ${engine}`).toBe(
            "service_healthy",
          );
        }
    });

    it("probes the port each app process serves its health on", async () => {
      const cfg = await config(profiles);
      if (!profiles.includes("dev")) return expect(cfg.services.gateway).toBeUndefined();
      const env = (n: string) => cfg.services[n]!.environment ?? {};
      expect(probedPort(cfg.services.gateway!)).toBe(Number(env("gateway").PORT ?? codeDefaults.server.port));
      expect(probedPort(cfg.services["tool-executor"]!)).toBe(
        Number(env("tool-executor").SOMA_EXECUTOR_HEALTH_PORT ?? codeDefaults.executor.healthPort),
      );
      // The scheduler's health server is off unless its port is given.
      const schedulerPort = Number(env("scheduler").SOMA_SCHEDULER_METRICS_PORT);
      expect(schedulerPort).toBeGreaterThan(0);
      expect(probedPort(cfg.services.scheduler!)).toBe(schedulerPort);
      for (const name of ["gateway", "tool-executor", "scheduler"])
        expect(cfg.services[name]!.healthcheck?.test?.join(" "), name).toContain("/readyz");
    });
  },
);
