// Budget refusals on the process's registry: each request or call refused because a tenant's
// budget (tokensDaily, tokensMonthly, voiceMinutesDaily) is spent. Voice calls cut off mid-call by
// their budget are counted by somaagent_voice_calls_ended_total{reason="budget"}.
import client from "prom-client";
import { metrics } from "../server/metrics";
import { singleton } from "../singleton";

export function budgetMetrics() {
  return singleton("budget-metrics", () => {
    const refusals = new client.Counter({
      name: "somaagent_budget_refusals_total",
      help: "Requests refused (402 budget_exceeded) because a tenant's budget is spent, by budget",
      labelNames: ["budget"] as const,
      registers: [metrics().registry],
    });
    return { refused: (budget: string) => refusals.inc({ budget }) };
  });
}
