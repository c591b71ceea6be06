// Executor metrics: requests by tool and outcome, duration, in-flight calls, and backlog (consumer lag).
import client from "prom-client";

export function createExecutorMetrics(lag: () => Promise<number>) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: "somaagent_executor_" });
  const requests = new client.Counter({
    name: "somaagent_tool_requests_total",
    help: "Tool calls handled, by tool and outcome",
    labelNames: ["tool", "outcome"] as const,
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: "somaagent_tool_duration_seconds",
    help: "Tool call duration by tool",
    labelNames: ["tool"] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const inFlight = new client.Gauge({
    name: "somaagent_tool_in_flight",
    help: "Tool calls running now",
    registers: [registry],
  });
  new client.Gauge({
    name: "somaagent_tool_consumer_lag",
    help: "Tool requests waiting for an executor (Kafka consumer lag or BullMQ waiting jobs)",
    registers: [registry],
    async collect() {
      this.set(await lag().catch(() => -1));
    },
  });
  return {
    registry,
    inFlight,
    observe(tool: string, outcome: string, seconds: number) {
      requests.inc({ tool, outcome });
      duration.observe({ tool }, seconds);
    },
  };
}
