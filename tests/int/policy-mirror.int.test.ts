// The in-process mirror of OPA's policies (the gateway's admission, the executor's tool decisions) (lib/policy/in-process.ts) against a real OPA
// server of its own (the shared one's policies are not ours to change): the same answers as the
// server; a policy change never answered from the old mirror once the mirror has looked again (it
// looks every POLL_MS = 250 ms, so a change holds within a second), the new policy compiled in; and
// a server it cannot reach is not vouched for (the caller asks the server and is refused, as before).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, freePort, settings, startProcess, stopProcess, waitUntil } from "../helpers/services";
import { loadOpaPolicies } from "@/lib/jobs/migrations";
import { opaDecision } from "@/lib/server/opa";
import { PolicyMirror } from "@/lib/policy/in-process";
import fs from "node:fs";
import path from "node:path";

const DECISION = "somaagent/requests/decision";
let opa: ReturnType<typeof startProcess>;
let url: string;
let mirror: PolicyMirror;

const message = (over: Record<string, unknown> = {}) => ({
  action: "message.send",
  tenant: { id: "t1", allowedModels: ["stub-chat"], maxSessions: 10, maxMessageBytes: 100 },
  user: { id: "u1", role: "member" },
  model: "stub-chat",
  requestBytes: 10,
  ...over,
});

/** What the gateway does: the mirror when it answers, else the server. */
const decide = async (input: unknown) =>
  mirror.decide<{ allow: boolean; reason: string }>(DECISION, input) ??
  (await opaDecision<{ allow: boolean; reason: string }>(DECISION, input, { baseUrl: url }));

async function untilCurrent() {
  for (let i = 0; i < 200 && !mirror.current; i++) await mirror.nextLook();
  expect(mirror.current).toBe(true);
}

beforeAll(async () => {
  const binary = settings().opa.binary;
  expect(binary, "SOMA_OPA_BINARY (scripts/lib-app.sh sets it) names the opa executable").not.toBe("");
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  opa = startProcess(binary, ["run", "--server", "--addr", `127.0.0.1:${port}`, "--disable-telemetry"]);
  await waitUntil(async () => (await fetch(`${url}/health`)).ok, 30_000, "OPA to listen");
  await loadOpaPolicies(ROOT, url);
  mirror = new PolicyMirror(url, binary);
  mirror.start();
}, 60_000);

afterAll(async () => {
  mirror?.stop();
  if (opa) await stopProcess(opa);
});

describe("in-process policy mirror", () => {
  it("answers as the server does, from WebAssembly", async () => {
    await untilCurrent();
    for (const input of [
      message(),
      message({ requestBytes: 1_000 }),
      message({ model: "gpt-4o" }),
      message({ model: "gpt-4o", requestBytes: 1_000 }),
      message({ action: "no.such.action" }),
      message({ action: "session.create", sessionCount: 10 }),
      message({ action: "voice.start" }),
    ]) {
      const local = mirror.decide(DECISION, input);
      expect(local).toBeDefined();
      expect(local).toEqual(await opaDecision(DECISION, input, { baseUrl: url }));
    }
  });

  it("answers the executor's tool decisions as the server does", async () => {
    await untilCurrent();
    const TOOLS = "somaagent/tools/decision";
    const tool = (name: string, role: string, deniedTools: string[] = []) => ({
      tenant: { id: "t1", deniedTools },
      user: { id: "u1", role },
      tool: { name, needsNetwork: name === "http_request" },
    });
    for (const input of [
      tool("code_execution", "member"),
      tool("http_request", "admin"),
      tool("code_execution", "member", ["code_execution"]),
      tool("no_such_tool", "admin"),
    ]) {
      const local = mirror.decide(TOOLS, input);
      expect(local).toBeDefined();
      expect(local).toEqual(await opaDecision(TOOLS, input, { baseUrl: url }));
    }
    // The reasons are Go's %q, as the server writes them.
    expect(mirror.decide(TOOLS, tool("no_such_tool", "admin"))).toEqual({
      allow: false,
      reason: 'unknown tool "no_such_tool"',
    });
  });

  it("never answers from the old policy once it has looked after a change", async () => {
    await untilCurrent();
    const big = message({ requestBytes: 1_000 });
    expect(mirror.decide(DECISION, big)).toMatchObject({ allow: false });
    const file = path.join(ROOT, "conf/opa/somaagent/requests.rego");
    const changed = fs
      .readFileSync(file, "utf8")
      .replace("this tenant's limit is %d", "the limit here is %d");
    expect(changed).toContain("the limit here is");
    const put = await fetch(`${url}/v1/policies/somaagent/requests`, {
      method: "PUT",
      headers: { "content-type": "text/plain" },
      body: changed,
    });
    expect(put.status).toBe(200);
    await mirror.nextLook();
    await mirror.nextLook(); // a look that began before the PUT may have ended after it
    expect((await decide(big)).reason).toContain("the limit here is 100");
    await untilCurrent();
    expect(mirror.decide<{ reason: string }>(DECISION, big)?.reason).toContain("the limit here is 100");
  });

  it("stops answering when the server cannot be reached (the caller asks it and is refused)", async () => {
    await untilCurrent();
    await stopProcess(opa);
    await waitUntil(async () => !mirror.current, 10_000, "the mirror to stop vouching");
    expect(mirror.decide(DECISION, message())).toBeUndefined();
    await expect(decide(message())).rejects.toThrow();
  });
});
