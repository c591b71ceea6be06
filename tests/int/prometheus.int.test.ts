// Prometheus as SOMA_MONITORING=1 make dev-up starts it (scripts/services/prometheus.sh start, the
// committed deploy/prometheus config and alerts) against a real gateway and scheduler: the targets
// are up, the gauges read from Postgres arrive, the rules evaluate without errors, a process that
// is not there is reported down with ProcessDown pending, and every dashboard query parses.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { startStubProvider, type StubServer } from "@/server/offline-provider/server";
import { startGateway, type GatewayProcess } from "../helpers/chat";
import { startScheduler, type SchedulerProcess } from "../helpers/scheduler";
import { freePort, ROOT, stopProcess, waitUntil } from "../helpers/services";

const run = promisify(execFile);
const script = path.join(ROOT, "scripts/services/prometheus.sh");

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

let stub: StubServer;
let gateway: GatewayProcess;
let scheduler: SchedulerProcess;
let servicesDir: string;
let env: NodeJS.ProcessEnv;
let prom: string;
let ports: { gateway: number; scheduler: number; executor: number };

async function api<T>(pathAndQuery: string): Promise<T> {
  const res = await fetch(`${prom}${pathAndQuery}`);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== "success") throw new Error(`${pathAndQuery}: ${body.error ?? res.status}`);
  return body.data;
}
const query = async (q: string) =>
  (await api<{ result: Sample[] }>(`/api/v1/query?query=${encodeURIComponent(q)}`)).result;

beforeAll(async () => {
  stub = await startStubProvider();
  ports = { gateway: 0, scheduler: await freePort(), executor: await freePort() }; // no executor listens there
  const gw = await startGateway(stub);
  gateway = gw.gateway;
  ports.gateway = gw.port;
  scheduler = await startScheduler(stub, { SOMA_SCHEDULER_METRICS_PORT: String(ports.scheduler) });
  servicesDir = await mkdtemp(path.join(os.tmpdir(), "soma-prometheus-"));
  const promPort = await freePort();
  prom = `http://127.0.0.1:${promPort}`;
  env = {
    ...process.env,
    SOMA_SERVICES_DIR: servicesDir,
    SOMA_PROMETHEUS_PORT: String(promPort),
    PORT: String(ports.gateway),
    SOMA_SCHEDULER_METRICS_PORT: String(ports.scheduler),
    SOMA_EXECUTOR_HEALTH_PORT: String(ports.executor),
  };
  await run(script, ["start"], { env, cwd: ROOT });
}, 180_000);

afterAll(async () => {
  if (env) await run(script, ["stop"], { env, cwd: ROOT });
  await Promise.all([gateway && stopProcess(gateway), scheduler && stopProcess(scheduler)]);
  await stub?.close();
  if (servicesDir) await rm(servicesDir, { recursive: true, force: true });
});

describe("Prometheus with the committed config", () => {
  it("scrapes the gateway and the scheduler: their targets are up", async () => {
    await waitUntil(
      async () => (await query('up{job=~"somaagent-gateway|somaagent-scheduler"} == 1')).length === 2,
      90_000,
      "the gateway and scheduler targets to be up",
    );
    const targets = await api<{
      activeTargets: { labels: { job: string; instance: string }; health: string }[];
    }>("/api/v1/targets?state=active");
    const gw = targets.activeTargets.find((t) => t.labels.job === "somaagent-gateway");
    expect(gw).toMatchObject({ health: "up", labels: { instance: `127.0.0.1:${ports.gateway}` } });
  }, 100_000);

  it("gets the gauges the gateway reads from Postgres: no migration drift in the migrated test database", async () => {
    await waitUntil(
      async () => (await query("somaagent_db_migrations")).length === 3,
      60_000,
      "migration gauges",
    );
    const byState: Record<string, number> = {};
    for (const s of await query("somaagent_db_migrations"))
      byState[s.metric.state ?? "?"] = Number(s.value[1]);
    expect(byState).toEqual({ pending: 0, failed: 0, unknown: 0 });
    const [outbox] = await query("somaagent_outbox_pending_rows");
    expect(Number(outbox!.value[1])).toBeGreaterThanOrEqual(0);
  }, 70_000);

  it("reports a process that is not there as down, and ProcessDown goes pending for it", async () => {
    await waitUntil(
      async () => {
        const alerts = await api<{ alerts: { labels: Record<string, string>; state: string }[] }>(
          "/api/v1/alerts",
        );
        return alerts.alerts.some(
          (a) => a.labels.alertname === "ProcessDown" && a.labels.job === "somaagent-executor",
        );
      },
      90_000,
      "ProcessDown for the executor",
    );
    const [up] = await query('up{job="somaagent-executor"}');
    expect(up).toMatchObject({
      metric: { instance: `127.0.0.1:${ports.executor}` },
      value: [expect.any(Number), "0"],
    });
    // The gateway is not alerted on.
    const firing = await query('ALERTS{alertname="ProcessDown",job="somaagent-gateway"}');
    expect(firing).toEqual([]);
  }, 100_000);

  it("loads every rule of alerts.yml and evaluates each without an error", async () => {
    await waitUntil(
      async () => {
        const { groups } = await api<{ groups: { rules: { lastEvaluation: string }[] }[] }>("/api/v1/rules");
        return groups.every((g) => g.rules.every((r) => !r.lastEvaluation.startsWith("0001")));
      },
      60_000,
      "every rule to be evaluated once",
    );
    const { groups } = await api<{
      groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[];
    }>("/api/v1/rules");
    const committed = YAML.parse(await readFile(path.join(ROOT, "deploy/prometheus/alerts.yml"), "utf8")) as {
      groups: { name: string; rules: unknown[] }[];
    };
    expect(groups.map((g) => g.name).sort()).toEqual(committed.groups.map((g) => g.name).sort());
    expect(groups.flatMap((g) => g.rules).length).toBe(committed.groups.flatMap((g) => g.rules).length);
    const unhealthy = groups.flatMap((g) => g.rules).filter((r) => r.health !== "ok");
    expect(unhealthy).toEqual([]);
  }, 70_000);

  it("accepts every query of the Grafana dashboard", async () => {
    const dashboard = JSON.parse(
      await readFile(path.join(ROOT, "deploy/grafana/dashboards/somaagent.json"), "utf8"),
    ) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
    );
    expect(exprs.length).toBeGreaterThan(20);
    const refused: string[] = [];
    for (const { panel, expr } of exprs)
      await query(expr).catch((err: Error) => refused.push(`${panel}: ${err.message}`));
    expect(refused).toEqual([]);
  });
});
