// Turn metrics on the process's registry (gateway or scheduler): how long turns take, by how they end.
import client from "prom-client";
import { metrics } from "../server/metrics";
import { singleton } from "../singleton";

export function turnMetrics() {
  return singleton("turn-metrics", () => {
    const duration = new client.Histogram({
      name: "somaagent_turn_duration_seconds",
      help: "Agent turns from start to their end (model, tools and all), by status",
      labelNames: ["status"] as const,
      buckets: [0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300],
      registers: [metrics().registry],
    });
    return {
      ended: (status: string, seconds: number) => duration.observe({ status }, seconds),
    };
  });
}
