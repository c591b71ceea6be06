// The alert rules parse and refer to metrics the processes really export (the gateway's and the
// scheduler's registry with every metric module registered on it, and the executor's). Whether
// each rule fires and stays quiet is promtool's part: deploy/prometheus/tests (make test, unit).
import fs from "node:fs";
import path from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { metrics } from "@/lib/server/metrics";
import { registerDbMetrics } from "@/lib/server/db-metrics";
import { voiceMetrics } from "@/lib/voice/metrics";
import { turnMetrics } from "@/lib/agent/metrics";
import { toolCallMetrics } from "@/lib/tool-calls/metrics";
import { budgetMetrics } from "@/lib/budget/metrics";
import { createExecutorMetrics } from "@/lib/executor/metrics";
import { backupMetrics } from "@/lib/backup/metrics";

interface Rules {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}

const deploy = path.resolve(import.meta.dirname, "../../deploy");
const rules = YAML.parse(fs.readFileSync(path.join(deploy, "prometheus/alerts.yml"), "utf8")) as Rules;
const dashboard = JSON.parse(
  fs.readFileSync(path.join(deploy, "grafana/dashboards/somaagent.json"), "utf8"),
) as {
  panels: { targets?: { expr: string }[] }[];
};

async function exportedNames(): Promise<Set<string>> {
  voiceMetrics();
  turnMetrics();
  toolCallMetrics();
  budgetMetrics();
  backupMetrics();
  registerDbMetrics({
    db: () => {
      throw new Error("no database in a unit test"); // the gauges read NaN, their names still show
    },
    migrationsDir: path.resolve(import.meta.dirname, "../../prisma/migrations"),
    log: pino({ level: "silent" }),
  });
  const gateway = await metrics().registry.getMetricsAsJSON();
  const executor = await createExecutorMetrics(async () => 0).registry.getMetricsAsJSON();
  return new Set([...gateway, ...executor].map((m) => m.name));
}

/** somaagent_* names in an expression, histogram suffixes taken off. */
const namesIn = (expr: string) =>
  (expr.match(/somaagent_[a-z_]+/g) ?? []).map((n) => n.replace(/_(bucket|sum|count)$/, ""));

describe("deploy/prometheus/alerts.yml", () => {
  it("uses only metric names that the code registers", async () => {
    const exported = await exportedNames();
    const used = rules.groups.flatMap((g) => g.rules).flatMap((r) => namesIn(r.expr));
    expect(used.length).toBeGreaterThan(10);
    for (const name of used) expect(exported, name).toContain(name);
  });

  it("covers the failures of the runtime document", () => {
    const alerts = rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
    expect(alerts).toEqual(
      expect.arrayContaining([
        "ProcessDown", // container crash
        "KafkaIsrShrink", // Kafka broker down (kafka_isr_shrink)
        "KafkaOfflinePartitions",
        "KafkaUnderReplicatedPartitions",
        "MigrationDrift", // Postgres migration drift
        "GatewayErrorBudgetBurn", // gateway 5xx spikes, latency SLO
        "GatewayLatencyBudgetBurn",
        "SpeechProviderErrors", // realtime speech errors
        "ToolConsumerLag",
        "OutboxBacklog",
        "BudgetRefusalsHigh",
      ]),
    );
  });

  it("gives every alert a runbook section in docs/operations.md", () => {
    const doc = fs.readFileSync(path.resolve(deploy, "../docs/operations.md"), "utf8");
    const alerts = new Set(rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : []))));
    for (const alert of alerts) expect(doc, alert).toContain(`#### ${alert}\n`);
  });
});

describe("deploy/grafana/dashboards/somaagent.json", () => {
  it("queries only metric names that the code registers", async () => {
    const exported = await exportedNames();
    const used = dashboard.panels.flatMap((p) => p.targets ?? []).flatMap((t) => namesIn(t.expr));
    expect(used.length).toBeGreaterThan(20);
    // Regex selectors over the prom-client defaults ({__name__=~"somaagent_(executor_)?process_…"}).
    for (const name of used.filter((n) => !n.endsWith("_"))) expect(exported, name).toContain(name);
  });
});
