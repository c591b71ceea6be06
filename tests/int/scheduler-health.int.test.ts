// The scheduler's /healthz and /readyz (compose's health check and the chart's probes), on the port
// SOMA_SCHEDULER_METRICS_PORT names: ready once Postgres and Redis answer and its worker runs; other
// paths are not found, and /metrics. (The tests turn it off elsewhere: they run several schedulers.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStubProvider, type StubServer } from "@/server/offline-provider/server";
import { startScheduler, stopProcess, type SchedulerProcess } from "../helpers/scheduler";
import { freePort } from "../helpers/services";

let stub: StubServer;
let scheduler: SchedulerProcess;
let base: string;

beforeAll(async () => {
  stub = await startStubProvider();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  scheduler = await startScheduler(stub, { SOMA_SCHEDULER_METRICS_PORT: String(port) });
}, 120_000);
afterAll(async () => {
  if (scheduler) await stopProcess(scheduler);
  await stub?.close();
});

describe("scheduler health", () => {
  it("answers /healthz, and /readyz with each dependency", async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const res = await fetch(`${base}/readyz`);
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(res.status).toBe(200);
    expect(body.status).toBe("ok");
    expect(Object.keys(body.checks).sort()).toEqual(["postgres", "redis", "worker"]);
    expect(Object.values(body.checks).every((c) => c.ok)).toBe(true);
  });

  it("serves its metrics there too, and 404 on any other path", async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^# HELP /m);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
  });

  it("says it started on that port", () => {
    expect(scheduler.output()).toMatch(new RegExp(`"metricsPort":${new URL(base).port}`));
  });
});
