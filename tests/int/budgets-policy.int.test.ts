// OPA admission and token budgets against a gateway and executor on tests/fixtures/policy-conf:
// the tenant allows only stub-chat, denies http_request, may have 2 sessions and 40 tokens a day.
import path from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  client,
  postMessageSse,
  readSse,
  seedUser,
  startChatStack,
  type ChatStack,
  type TestUser,
} from "../helpers/chat";
import { ROOT, waitUntil } from "../helpers/services";

let stack: ChatStack;

beforeAll(async () => {
  stack = await startChatStack({ SOMA_CONF_DIR: path.join(ROOT, "tests/fixtures/policy-conf") });
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

const stubRequests = () => stack.stub.requests.length;

async function finishTurn(user: TestUser, sessionId: string, content: string) {
  const res = await postMessageSse(stack.base, user.token, sessionId, content);
  expect(res.status).toBe(200);
  return readSse(res, (e) => e.type === "turn.finished" || e.type === "turn.failed");
}

describe("token budget", () => {
  it("refuses a tenant over its daily budget before the provider is called, and reports usage", async () => {
    const user = await seedUser(stack.db, "admin");
    const api = client(stack.base, user.token);
    const sessionId = await api.newSession();

    const before = await api.get("/api/v1/usage");
    expect(before.status).toBe(200);
    expect(before.json.budget).toMatchObject({ tokensDaily: { limit: 40, used: 0, remaining: 40 } });

    const first = await finishTurn(user, sessionId, "use up the budget");
    expect(first.events.at(-1)?.type).toBe("turn.finished");
    const usage = await api.get("/api/v1/usage");
    const used = (usage.json.tenant as { day: { tokens: number; costUsd: number } }).day;
    expect(used.tokens).toBeGreaterThan(40); // the system prompt alone is longer
    expect(used.costUsd).toBeGreaterThan(0); // priced from conf/model_providers.yaml
    expect(usage.json.user).toEqual(usage.json.tenant);
    expect(usage.json.budget).toMatchObject({ tokensDaily: { used: used.tokens, remaining: 0 } });
    expect(usage.json.byUser).toEqual([
      expect.objectContaining({ userId: user.userId, email: user.email, tokens: used.tokens }),
    ]);

    const seen = stubRequests();
    const refused = await api.post(`/api/v1/sessions/${sessionId}/messages`, { content: "one more" });
    expect(refused.status).toBe(402);
    expect(refused.json.error?.code).toBe("budget_exceeded");
    expect(refused.json.error?.message).toMatch(/used its daily token budget .* It resets at .* UTC\./);
    expect(refused.json.error?.details).toMatchObject({ budget: "tokensDaily", limit: 40, remaining: 0 });
    await new Promise((r) => setTimeout(r, 300));
    expect(stubRequests()).toBe(seen); // the provider never heard of it
    const turns = await stack.db.turn.count({ where: { sessionId } });
    expect(turns).toBe(1); // and nothing was half-started

    const audit = await api.get("/api/v1/audit?action=request.budget_exceeded");
    expect(audit.json.items).toEqual([expect.objectContaining({ outcome: "denied", actorId: user.userId })]);

    // What the BudgetRefusalsHigh alert and the dashboard read (docs/operations.md).
    const metrics = await (await fetch(`${stack.base}/metrics`)).text();
    expect(metrics).toMatch(/^somaagent_budget_refusals_total\{budget="tokensDaily"\} 1$/m);
    expect(metrics).toMatch(/^somaagent_turn_duration_seconds_count\{status="completed"\} [1-9]/m);
  });

  it("shows a member their own usage and the tenant's budget, without the per-user breakdown", async () => {
    const member = await seedUser(stack.db, "member");
    const r = await client(stack.base, member.token).get("/api/v1/usage");
    expect(r.status).toBe(200);
    expect(r.json.user).toEqual({ day: { tokens: 0, costUsd: 0 }, month: { tokens: 0, costUsd: 0 } });
    expect(r.json.byUser).toBeUndefined();
  });
});

describe("OPA admission", () => {
  it("refuses a model outside the tenant's allow-list before the provider is called", async () => {
    const user = await seedUser(stack.db, "member", "nomodel");
    const api = client(stack.base, user.token);
    const sessionId = await api.newSession();
    const seen = stubRequests();
    const r = await api.post(`/api/v1/sessions/${sessionId}/messages`, { content: "hello" });
    expect(r.status).toBe(403);
    expect(r.json.error?.message).toBe('Model "stub-chat" is not allowed for this tenant.');
    expect(r.json.error?.details).toEqual([
      { code: "model_not_allowed", message: 'model "stub-chat" is not allowed for this tenant' },
    ]);
    expect(stubRequests()).toBe(seen);
  });

  it("refuses a message over the tenant's size limit with 413 naming the field", async () => {
    const user = await seedUser(stack.db, "member");
    const api = client(stack.base, user.token);
    const sessionId = await api.newSession();
    const r = await api.post(`/api/v1/sessions/${sessionId}/messages`, { content: "x".repeat(2049) });
    expect(r.status).toBe(413);
    expect(r.json.error?.details).toEqual([
      expect.objectContaining({ field: "content", code: "message_too_large" }),
    ]);
  });

  it("enforces the tenant's session quota", async () => {
    const user = await seedUser(stack.db, "member");
    const api = client(stack.base, user.token);
    await api.newSession("one");
    await api.newSession("two");
    const third = await api.post("/api/v1/sessions", { title: "three" });
    expect(third.status).toBe(403);
    expect(third.json.error?.message).toBe("This tenant already has 2 sessions; its limit is 2.");
    expect(await stack.db.session.count({ where: { tenantId: user.tenantId } })).toBe(2);
  });

  it("turns a denied tool into a denied step that never runs, and audits the decision", async () => {
    const user = await seedUser(stack.db, "member");
    const api = client(stack.base, user.token);
    const sessionId = await api.newSession();
    const marker = randomUUID();
    const done = await finishTurn(
      user,
      sessionId,
      `fetch it [[tool:http_request {"url":"http://127.0.0.1:9/${marker}"}]]`,
    );
    const finished = done.events.find((e) => e.type === "tool.finished");
    expect(finished).toMatchObject({ tool: "http_request", status: "denied" });
    const call = await stack.db.toolCall.findFirstOrThrow({ where: { sessionId } });
    expect(call.status).toBe("denied");
    expect(call.error).toBe('tool "http_request" is disabled for this tenant');
    expect(call.result).toBeNull();

    await waitUntil(
      async () => (await stack.db.auditLog.count({ where: { resource: `tool_call:${call.id}` } })) > 0,
      5_000,
      "the tool decision's audit row",
    );
    const row = await stack.db.auditLog.findFirstOrThrow({ where: { resource: `tool_call:${call.id}` } });
    expect(row).toMatchObject({
      action: "tool.run",
      outcome: "denied",
      actorId: user.userId,
      tenantId: user.tenantId,
    });
    expect(row.details).toMatchObject({ tool: "http_request", decision: "deny" });

    // The gateway timed the round trip, under the call's final status.
    const metrics = await (await fetch(`${stack.base}/metrics`)).text();
    expect(metrics).toMatch(
      /^somaagent_tool_round_trip_seconds_count\{tool="http_request",status="denied"\} 1$/m,
    );
  });
});
