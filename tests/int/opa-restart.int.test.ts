// A restarted OPA serves its policies with no migration run: this file's own OPA, started by
// scripts/services/opa.sh on a free port, is killed mid-run and started again; turns and tool calls go
// on by themselves (a call made while it was down is retried until it answers). An OPA that never
// gets its policies is not ready, and a tool call whose policy check keeps failing ends `failed` with
// the reason after its attempts.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { FRESH_MS, POLL_MS } from "@/lib/policy/in-process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionEvent } from "@/lib/realtime/events";
import { loadOpaPolicies } from "@/lib/jobs/migrations";
import { client, postMessageSse, readSse, seedUser, startChatStack, type ChatStack } from "../helpers/chat";
import { gatewaySide, startExecutor, stopProcess, type GatewaySide } from "../helpers/executor";
import { ROOT, freePort, waitUntil } from "../helpers/services";

const run = promisify(execFile);

/** scripts/services/opa.sh on `port`, its pid file and log in a directory of this file's own. */
function opaScript(port: number, servicesDir: string) {
  return (cmd: "start" | "stop" | "health") =>
    run(path.join(ROOT, "scripts/services/opa.sh"), [cmd], {
      cwd: ROOT,
      env: { ...process.env, SOMA_OPA_PORT: String(port), SOMA_SERVICES_DIR: servicesDir },
    });
}

async function opaBinary(): Promise<string> {
  const { stdout } = await run("bash", [
    "-c",
    `source "${ROOT}/scripts/services/lib.sh" && echo "$BIN_DIR/opa-$OPA_VERSION"`,
  ]);
  return stdout.trim();
}

/** How a turn that asks for a tool ends: its tool's status, and the turn's last event. */
async function turnWithTool(base: string, token: string, sessionId: string) {
  const res = await postMessageSse(
    base,
    token,
    sessionId,
    'compute [[tool:code_execution {"runtime":"bash","code":"echo policy-ok"}]]',
  );
  const { events } = await readSse(
    res,
    (e) => e.type === "turn.finished" || e.type === "turn.failed",
    60_000,
  );
  const tool = events.find(
    (e): e is Extract<SessionEvent, { type: "tool.finished" }> => e.type === "tool.finished",
  );
  return { status: res.status, toolStatus: tool?.status, last: events.at(-1)?.type };
}

describe("an OPA restart", () => {
  let port: number;
  let opaUrl: string;
  let servicesDir: string;
  let opa: ReturnType<typeof opaScript>;
  let stack: ChatStack;
  let user: Awaited<ReturnType<typeof seedUser>>;

  beforeAll(async () => {
    port = await freePort();
    opaUrl = `http://127.0.0.1:${port}`;
    servicesDir = fs.mkdtempSync(path.join(os.tmpdir(), "soma-opa-restart-"));
    opa = opaScript(port, servicesDir);
    await opa("start");
    stack = await startChatStack({ OPA_URL: opaUrl, SOMA_EXECUTOR_RETRY_BACKOFF_MS: "500" });
    user = await seedUser(stack.db);
  });

  afterAll(async () => {
    await stack?.close();
    if (opa) await opa("stop");
  });

  it("needs no migration run: turns and tool calls go on, one made while it was down finishes", async () => {
    const api = client(stack.base, user.token);
    const sessionId = await api.newSession();
    expect(await turnWithTool(stack.base, user.token, sessionId)).toMatchObject({
      status: 200,
      toolStatus: "succeeded",
      last: "turn.finished",
    });

    // A crash: no clean stop, nothing pushes the policies afterwards.
    const pid = Number(fs.readFileSync(path.join(servicesDir, "run/opa.pid"), "utf8"));
    process.kill(pid, "SIGKILL");
    await waitUntil(
      () =>
        fetch(`${opaUrl}/health`).then(
          () => false,
          () => true, // refused: it is gone
        ),
      10_000,
      "OPA to stop",
    );

    const ready = await fetch(`${stack.base}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { failing: string[] }).failing).toEqual(["opa"]);
    // The gateway's in-process copy of the policies answers for FRESH_MS after its last look at the
    // server (lib/policy/in-process.ts); once that look is older, a turn needs the server, and is refused.
    await new Promise((r) => setTimeout(r, FRESH_MS + 2 * POLL_MS));
    const refused = await api.post(`/api/v1/sessions/${sessionId}/messages`, { content: "hello" });
    expect(refused.status).toBe(503);

    // A tool call made now waits for the policy instead of failing or being lost.
    const invoked = api.post("/api/v1/tools/code_execution/invoke", {
      args: { runtime: "bash", code: "echo made-while-opa-was-down" },
      sessionId,
    });
    await waitUntil(
      async () => stack.executor.output().includes("tool call attempt failed; retrying"),
      20_000,
      "the executor to retry the policy check",
    );
    await opa("start"); // the same start as make dev-up's: no migration job afterwards

    const done = await invoked;
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ status: "succeeded" });
    const row = await stack.db.toolCall.findFirstOrThrow({
      where: { sessionId, tool: "code_execution" },
      orderBy: { createdAt: "desc" },
      select: { attempts: true, error: true, result: true },
    });
    expect(row.attempts).toBeGreaterThan(1);
    expect(row.error).toBeNull();
    expect(row.result).toMatchObject({ stdout: "made-while-opa-was-down\n" });
    // Each retry said why.
    const retries = stack.executor
      .output()
      .split("\n")
      .filter((l) => l.includes("tool call attempt failed; retrying"));
    expect(retries.length).toBe(row.attempts - 1);
    for (const line of retries) expect(line).toContain("the policy could not be checked");

    await waitUntil(async () => (await fetch(`${stack.base}/readyz`)).ok, 20_000, "the gateway to be ready");
    expect(await turnWithTool(stack.base, user.token, sessionId)).toMatchObject({
      status: 200,
      toolStatus: "succeeded",
      last: "turn.finished",
    });
    // The migration job's push still works against an OPA that loaded the files itself.
    const pushed = await loadOpaPolicies(ROOT, opaUrl);
    expect(pushed.every((p) => p.endsWith("(unchanged)"))).toBe(true);
  }, 180_000);
});

describe("an OPA without the policies", () => {
  let empty: ChildProcess;
  let emptyUrl: string;
  let gw: GatewaySide;

  beforeAll(async () => {
    const port = await freePort();
    emptyUrl = `http://127.0.0.1:${port}`;
    empty = spawn(
      await opaBinary(),
      ["run", "--server", "--addr", `127.0.0.1:${port}`, "--disable-telemetry"],
      { stdio: "ignore" },
    );
    await waitUntil(async () => (await fetch(`${emptyUrl}/health`)).ok, 20_000, "the empty OPA to listen");
    gw = await gatewaySide("bullmq");
  });

  afterAll(async () => {
    await gw?.close();
    if (empty) await stopProcess(empty);
  });

  it("ends a tool call whose policy check keeps failing as failed, with the reason", async () => {
    const executor = await startExecutor("bullmq", {
      OPA_URL: emptyUrl,
      SOMA_EXECUTOR_MAX_ATTEMPTS: "3",
      SOMA_EXECUTOR_RETRY_BACKOFF_MS: "100",
    });
    try {
      const done = await gw.call("response", { text: "never allowed" }, { timeoutMs: 60_000 });
      expect(done.status).toBe("failed");
      expect(done.error).toBe(
        "the policy could not be checked: OPA has no policy at somaagent/tools/decision (policies not loaded?) (gave up after 3 attempts)",
      );
      const row = await gw.db.toolCall.findUniqueOrThrow({
        where: { id: done.id },
        select: { attempts: true },
      });
      expect(row.attempts).toBe(3);
      const retries = executor
        .output()
        .split("\n")
        .filter((l) => l.includes(done.id) && l.includes("tool call attempt failed; retrying"));
      expect(retries).toHaveLength(2);
      expect(retries[0]).toContain("OPA has no policy at somaagent/tools/decision");
      // Once the call has ended, no delivery runs it again.
      await new Promise((r) => setTimeout(r, 1_500));
      const after = await gw.db.toolCall.findUniqueOrThrow({
        where: { id: done.id },
        select: { attempts: true, status: true },
      });
      expect(after).toEqual({ attempts: 3, status: "failed" });
    } finally {
      await stopProcess(executor);
    }
  }, 120_000);

  it("is not healthy until the policies are pushed, and a second push changes nothing", async () => {
    const port = new URL(emptyUrl).port;
    const health = () =>
      run(path.join(ROOT, "scripts/services/opa.sh"), ["health"], {
        cwd: ROOT,
        env: {
          ...process.env,
          SOMA_OPA_PORT: port,
          SOMA_SERVICES_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "soma-opa-")),
        },
      }).then(
        () => true,
        () => false,
      );
    expect(await health()).toBe(false);
    const first = await loadOpaPolicies(ROOT, emptyUrl);
    expect(first.length).toBeGreaterThan(0);
    expect(first.every((p) => p.endsWith("(written)"))).toBe(true);
    expect(await health()).toBe(true);
    const second = await loadOpaPolicies(ROOT, emptyUrl);
    expect(second.every((p) => p.endsWith("(unchanged)"))).toBe(true);
  });
});
