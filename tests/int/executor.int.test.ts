// The tool path end to end on the real brokers: outbox → bus → executor (sandbox) → Postgres →
// results channel → the waiting caller, woken through Redis.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { workspaceRoot } from "@/lib/executor/process-request";
import { freePort, settings, waitUntil } from "../helpers/services";
import {
  gatewaySide,
  startExecutor,
  stopProcess,
  TEST_SECRET_VALUE,
  type ExecutorProcess,
  type GatewaySide,
} from "../helpers/executor";

describe.each(["bullmq", "kafka"] as const)("tool calls over %s", (transport) => {
  let gw: GatewaySide;
  let executor: ExecutorProcess;
  let healthPort: number;

  beforeAll(async () => {
    gw = await gatewaySide(transport);
    healthPort = await freePort();
    executor = await startExecutor(transport, {
      SOMA_EXECUTOR_HEALTH_PORT: String(healthPort),
      SOMA_EXECUTOR_WORKSPACE_SWEEP_MS: "500",
    });
  });
  afterAll(async () => {
    if (executor) await stopProcess(executor);
    await gw?.close();
  });

  it("runs code_execution and returns the computed value", async () => {
    const done = await gw.call("code_execution", { runtime: "python", code: "print(sum(range(10)) * 2)" });
    expect(done.status).toBe("succeeded");
    expect(done.result).toEqual({ stdout: "90\n", stderr: "", exitCode: 0 });
  });

  it("keeps a session's workspace between calls", async () => {
    const sessionId = await gw.newSession();
    await gw.call(
      "workspace_files",
      { action: "write", path: "notes/a.txt", content: "kept" },
      { sessionId },
    );
    const read = await gw.call("code_execution", { runtime: "bash", code: "cat notes/a.txt" }, { sessionId });
    expect(read.result).toMatchObject({ stdout: "kept" });
  });

  it("removes a deleted session's workspace", async () => {
    const sessionId = await gw.newSession();
    await gw.call("workspace_files", { action: "write", path: "keep.txt", content: "x" }, { sessionId });
    const dir = path.join(workspaceRoot(settings()), sessionId);
    expect(fs.existsSync(path.join(dir, "keep.txt"))).toBe(true);
    await gw.db.session.update({ where: { id: sessionId }, data: { deletedAt: new Date() } });
    await waitUntil(async () => !fs.existsSync(dir), 15_000, "the workspace to be removed");
  });

  it("serves health, readiness and metrics", async () => {
    await gw.call("code_execution", { runtime: "bash", code: "true" });
    const base = `http://127.0.0.1:${healthPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { executorId: string }).executorId).toBeTruthy();
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/somaagent_tool_requests_total\{tool="code_execution",outcome="succeeded"\} \d+/);
    expect(text).toContain("somaagent_tool_duration_seconds_bucket");
    expect(text).toMatch(/somaagent_tool_in_flight \d+/);
    expect(text).toMatch(/somaagent_tool_consumer_lag \d+/);
  });

  it("remembers, finds and forgets per tenant", async () => {
    const saved = await gw.call("memory_save", {
      content: `The ${transport} test plant is a fern called Gerald`,
    });
    expect(saved.status).toBe("succeeded");
    const { id } = saved.result as { id: string };
    const found = await gw.call("memory_search", { query: "fern Gerald" });
    expect((found.result as { matches: { id: string }[] }).matches.map((m) => m.id)).toContain(id);
    const forgot = await gw.call("memory_forget", { ids: [id] });
    expect(forgot.result).toEqual({ forgotten: 1 });
    const again = await gw.call("memory_search", { query: "fern Gerald" });
    expect((again.result as { matches: { id: string }[] }).matches.map((m) => m.id)).not.toContain(id);
  });

  it("sends a malformed request to the dead-letter channel and keeps consuming", async () => {
    const reasons: string[] = [];
    await gw.bus.consume("deadLetter", `dlq-test-${transport}-${Date.now()}`, async (raw) => {
      reasons.push((JSON.parse(raw) as { reason: string }).reason);
    });
    await gw.bus.publish("tools", "junk", { version: 1, tool: "response" } as never);
    await waitUntil(async () => reasons.some((r) => r.includes("toolCallId")), 30_000, "the dead letter");
    const ok = await gw.call("response", { text: "after junk" });
    expect(ok.status).toBe("succeeded");
  });

  it("masks a secret everywhere it could surface", async () => {
    const done = await gw.call("code_execution", {
      runtime: "bash",
      code: "echo token={{secret:API_TOKEN}}; echo {{secret:API_TOKEN}} >&2; exit 3",
    });
    expect(done.status).toBe("failed");
    expect(done.result).toMatchObject({
      stdout: "token=[secret:API_TOKEN]\n",
      stderr: "[secret:API_TOKEN]\n",
      exitCode: 3,
    });
    const rows = await gw.db.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM tool_calls WHERE arguments::text LIKE ${"%" + TEST_SECRET_VALUE + "%"}
        OR result::text LIKE ${"%" + TEST_SECRET_VALUE + "%"} OR error LIKE ${"%" + TEST_SECRET_VALUE + "%"}`;
    const outbox = await gw.db.$queryRaw<
      { n: bigint }[]
    >`SELECT count(*) AS n FROM outbox WHERE payload::text LIKE ${"%" + TEST_SECRET_VALUE + "%"}`;
    expect(Number(rows[0]!.n) + Number(outbox[0]!.n)).toBe(0);
    expect(executor.output()).not.toContain(TEST_SECRET_VALUE);
    expect(JSON.stringify(done)).not.toContain(TEST_SECRET_VALUE);
  });
});
