// The alert rules parse and refer to metrics the gateway really exports.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { metrics } from "@/lib/server/metrics";

interface Rules {
  groups: { name: string; rules: { alert: string; expr: string }[] }[];
}

describe("deploy/prometheus/alerts.yml", () => {
  const file = path.resolve(import.meta.dirname, "../../deploy/prometheus/alerts.yml");
  const rules = YAML.parse(fs.readFileSync(file, "utf8")) as Rules;

  it("uses only gateway metric names that the gateway registers", async () => {
    const exported = new Set((await metrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const used = rules.groups
      .flatMap((g) => g.rules)
      .flatMap((r) => r.expr.match(/somaagent_[a-z_]+/g) ?? [])
      .map((n) => n.replace(/_(bucket|sum|count)$/, ""));
    expect(used.length).toBeGreaterThan(0);
    for (const name of used) expect(exported, name).toContain(name);
  });

  it("covers the failures of the runtime document", () => {
    const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(alerts).toEqual(
      expect.arrayContaining(["GatewayDown", "Gateway5xxSpike", "GatewayLatencySLO", "KafkaIsrShrink"]),
    );
  });
});
