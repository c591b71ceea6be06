// Tool round trip as the gateway (or scheduler) sees it: enqueued with its outbox row to the result
// in hand, through the outbox relay, the bus, the executor and back. "timeout": no result in time.
import client from "prom-client";
import { metrics } from "../server/metrics";
import { singleton } from "../singleton";

export function toolCallMetrics() {
  return singleton("tool-call-metrics", () => {
    const roundTrip = new client.Histogram({
      name: "somaagent_tool_round_trip_seconds",
      help: "A tool call enqueued to its result received, by tool and final status (timeout: none came)",
      labelNames: ["tool", "status"] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [metrics().registry],
    });
    return {
      roundTrip: (tool: string, status: string, seconds: number) =>
        roundTrip.observe({ tool, status }, seconds),
    };
  });
}
