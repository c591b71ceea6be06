// The tool path end to end on the real brokers: outbox → bus → executor (sandbox) → Postgres →
// results channel → the waiting caller, woken through Redis.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { workspaceRoot } from "@/lib/executor/process-request";
import { freePort, settings, waitUntil } from "../helpers/services";
import {
  gatewaySide,
  startExecutor,
  stopProcess,
  secretsFileFor,
  TEST_SECRET_VALUE,
  type ExecutorProcess,
  type GatewaySide,
} from "../helpers/executor";

describe.each(["bullmq", "kafka"] as const)("tool calls over %s", (transport) => {
  let gw: GatewaySide;
  let executor: ExecutorProcess;
  let healthPort: number;
  // A loopback server that echoes what it got, as given and encoded (a reply that repeats a secret).
  let echo: http.Server;
  let echoPort: number;
  const received: string[] = [];

  beforeAll(async () => {
    echo = http.createServer((req, res) => {
      const token = String(req.headers["x-token"] ?? "");
      received.push(token);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          header: token,
          base64: Buffer.from(token).toString("base64"),
          urlEncoded: encodeURIComponent(token),
          url: req.url,
        }),
      );
    });
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
    echoPort = (echo.address() as AddressInfo).port;
    gw = await gatewaySide(transport);
    healthPort = await freePort();
    executor = await startExecutor(transport, {
      SOMA_EXECUTOR_HEALTH_PORT: String(healthPort),
      SOMA_EXECUTOR_WORKSPACE_SWEEP_MS: "500",
      SOMA_EXECUTOR_SECRETS_FILE: secretsFileFor(gw.tenantSlug),
      SOMA_TOOLS_HTTP_ALLOWED_HOSTS: "127.0.0.1",
    });
  });
  afterAll(async () => {
    if (executor) await stopProcess(executor);
    await gw?.close();
    await new Promise((r) => echo?.close(r));
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
    const actor = await gw.member();
    const saved = await gw.call(
      "memory_save",
      { content: `The ${transport} test plant is a fern called Gerald` },
      { actor },
    );
    expect(saved.status).toBe("succeeded");
    const { id } = saved.result as { id: string };
    const found = await gw.call("memory_search", { query: "fern Gerald" }, { actor });
    expect((found.result as { matches: { id: string }[] }).matches.map((m) => m.id)).toContain(id);
    const forgot = await gw.call("memory_forget", { ids: [id] }, { actor });
    expect(forgot.result).toEqual({ forgotten: 1 });
    const again = await gw.call("memory_search", { query: "fern Gerald" }, { actor });
    expect((again.result as { matches: { id: string }[] }).matches.map((m) => m.id)).not.toContain(id);
  });

  it("saves nothing private for a call without a user (it used to share it with the tenant)", async () => {
    const word = `nouser${transport}${Date.now()}`;
    const saved = await gw.call("memory_save", { content: `a private note ${word}` });
    expect(saved.status).toBe("failed");
    expect(saved.error).toMatch(/private memory needs a user/);
    expect(await gw.db.memory.count({ where: { content: { contains: word } } })).toBe(0);
    // Shared on purpose it is saved, without an author, and a system call cannot forget it.
    const shared = await gw.call("memory_save", { content: `a shared note ${word}`, scope: "tenant" });
    expect(shared.result).toMatchObject({ scope: "tenant" });
    const { id } = shared.result as { id: string };
    expect((await gw.call("memory_forget", { ids: [id] })).result).toEqual({ forgotten: 0, notAllowed: 1 });
  });

  it("keeps a member's memories from other members, unless shared with the tenant", async () => {
    const [one, two] = [await gw.member(), await gw.member()];
    const word = `${transport}${Date.now()}`;
    const own = await gw.call("memory_save", { content: `my locker code ${word}` }, { actor: one });
    const shared = await gw.call(
      "memory_save",
      { content: `the office wifi ${word}`, scope: "tenant" },
      { actor: one },
    );
    expect(own.result).toMatchObject({ scope: "user" });
    expect(shared.result).toMatchObject({ scope: "tenant" });
    const search = async (actor: typeof one) =>
      (
        (await gw.call("memory_search", { query: word }, { actor })).result as {
          matches: { content: string }[];
        }
      ).matches
        .map((m) => m.content)
        .sort();
    expect(await search(one)).toEqual([`my locker code ${word}`, `the office wifi ${word}`]);
    expect(await search(two)).toEqual([`the office wifi ${word}`]);
    // Nor can the other member forget it, nor the one shared by the first member (its author's).
    const { id } = own.result as { id: string };
    const sharedId = (shared.result as { id: string }).id;
    expect((await gw.call("memory_forget", { ids: [id] }, { actor: two })).result).toEqual({ forgotten: 0 });
    expect((await gw.call("memory_forget", { ids: [sharedId] }, { actor: two })).result).toEqual({
      forgotten: 0,
      notAllowed: 1,
    });
    expect((await gw.call("memory_forget", { ids: [id] }, { actor: one })).result).toEqual({ forgotten: 1 });
    const admin = { ...two, role: "admin" as const };
    expect((await gw.call("memory_forget", { ids: [sharedId] }, { actor: admin })).result).toEqual({
      forgotten: 1,
    });
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

  it("sends a tenant's secret with http_request and masks it in what comes back, in every form", async () => {
    const done = await gw.call("http_request", {
      url: `http://127.0.0.1:${echoPort}/echo?k={{secret:API_TOKEN}}`,
      headers: { "x-token": "{{secret:API_TOKEN}}" },
    });
    expect(done.status).toBe("succeeded");
    expect(received.at(-1)).toBe(TEST_SECRET_VALUE); // it really was sent
    const body = (done.result as { body: string }).body;
    expect(JSON.parse(body)).toEqual({
      header: "[secret:API_TOKEN]",
      base64: "[secret:API_TOKEN]",
      urlEncoded: "[secret:API_TOKEN]",
      url: "/echo?k=[secret:API_TOKEN]",
    });
    await expectNowhere(TEST_SECRET_VALUE, Buffer.from(TEST_SECRET_VALUE).toString("base64"));
  });

  it("never gives a secret to code_execution, so a reversed one cannot leak", async () => {
    const done = await gw.call("code_execution", {
      runtime: "python",
      code: 'print("{{secret:API_TOKEN}}"[::-1])',
    });
    expect(done.status).toBe("denied");
    expect(done.error).toMatch(/^secrets are never given to code_execution/);
    await expectNowhere(TEST_SECRET_VALUE, [...TEST_SECRET_VALUE].reverse().join(""));
  });

  it("answers an unknown name like a known one it may not use, and audits which was asked", async () => {
    const unknown = await gw.call("http_request", {
      url: `http://127.0.0.1:${echoPort}/echo`,
      headers: { "x-token": "{{secret:NOT_A_SECRET}}" },
    });
    const notAllowed = await gw.call("workspace_files", {
      action: "write",
      path: "t.txt",
      content: "{{secret:API_TOKEN}}",
    });
    expect(unknown).toMatchObject({ status: "denied", error: "secret not available" });
    expect(notAllowed).toMatchObject({ status: "denied", error: "secret not available" });
    const audit = await gw.db.auditLog.findMany({
      where: { tenantId: gw.tenantId, action: "secret.denied" },
      select: { details: true },
    });
    expect(audit.map((a) => (a.details as { reference: string }).reference)).toEqual(
      expect.arrayContaining(["NOT_A_SECRET", "API_TOKEN"]),
    );
  });

  /** No trace of these strings in stored calls, the outbox, or the executor's log. */
  async function expectNowhere(...values: string[]) {
    for (const v of values) {
      const like = `%${v}%`;
      const rows = await gw.db.$queryRaw<{ n: bigint }[]>`
        SELECT count(*) AS n FROM tool_calls WHERE arguments::text LIKE ${like}
          OR result::text LIKE ${like} OR error LIKE ${like}`;
      const outbox = await gw.db.$queryRaw<
        { n: bigint }[]
      >`SELECT count(*) AS n FROM outbox WHERE payload::text LIKE ${like}`;
      expect(Number(rows[0]!.n) + Number(outbox[0]!.n)).toBe(0);
      expect(executor.output()).not.toContain(v);
    }
  }
});
