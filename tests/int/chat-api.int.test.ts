// Chat over the public API, end to end: a real gateway process and executor, the test provider as
// the model. Sessions REST, turns streamed as SSE, tool calls through the bus, the error statuses,
// tenant isolation, cancellation, provider failures and malformed tool arguments.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionEvent } from "@/lib/realtime/events";
import {
  client,
  postMessageSse,
  readSse,
  seedUser,
  startChatStack,
  type ChatStack,
  type TestUser,
} from "../helpers/chat";
import { waitUntil } from "../helpers/services";

let stack: ChatStack;
let alice: TestUser;
let bob: TestUser;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  stack = await startChatStack({ SOMA_AGENT_MAX_MESSAGE_BYTES: "2000", SOMA_AGENT_MAX_STEPS: "3" });
  alice = await seedUser(stack.db);
  bob = await seedUser(stack.db); // another tenant
  api = client(stack.base, alice.token);
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

type Detail = {
  title: string;
  lastSeq: number;
  messages: { role: string; content: string; complete: boolean; turnId: string }[];
  toolCalls: { tool: string; status: string; result: unknown }[];
  turns: {
    id: string;
    status: string;
    error: string | null;
    usage: { promptTokens: number; completionTokens: number };
  }[];
};

const sse = (sessionId: string, content: string, token = alice.token) =>
  postMessageSse(stack.base, token, sessionId, content);

async function turnEnd(sessionId: string, turnId: string): Promise<Detail> {
  let detail!: Detail;
  await waitUntil(
    async () => {
      detail = (await api.get(`/api/v1/sessions/${sessionId}`)).json as unknown as Detail;
      return detail.turns.some((t) => t.id === turnId && t.status !== "running");
    },
    30_000,
    "the turn to end",
  );
  return detail;
}

const types = (events: SessionEvent[]) => events.map((e) => e.type);

describe("sessions REST", () => {
  it("creates, lists newest first with a cursor, renames and deletes", async () => {
    const a = await api.post("/api/v1/sessions", { title: "First" });
    expect(a.status).toBe(201);
    expect(a.json).toMatchObject({ title: "First" });
    expect(a.headers.get("location")).toBe(`/api/v1/sessions/${a.json.id as string}`);
    const b = await api.newSession("Second");
    const c = await api.newSession();
    const page1 = await api.get("/api/v1/sessions?limit=2");
    expect(page1.status).toBe(200);
    const items1 = page1.json.items as { id: string; title: string }[];
    expect(items1.map((s) => s.id)).toEqual([c, b]);
    expect(items1[0]!.title).toBe("New chat");
    const page2 = await api.get(`/api/v1/sessions?limit=2&cursor=${page1.json.nextCursor as string}`);
    expect((page2.json.items as { id: string }[])[0]!.id).toBe(a.json.id);

    const renamed = await api.patch(`/api/v1/sessions/${b}`, { title: "Renamed" });
    expect(renamed.status).toBe(200);
    expect(renamed.json.title).toBe("Renamed");
    expect((await api.get(`/api/v1/sessions/${b}`)).json.title).toBe("Renamed");

    expect((await api.del(`/api/v1/sessions/${b}`)).status).toBe(204);
    expect((await api.get(`/api/v1/sessions/${b}`)).status).toBe(404);
    const after = (await api.get("/api/v1/sessions?limit=100")).json.items as { id: string }[];
    expect(after.map((s) => s.id)).not.toContain(b);
  });

  it("answers bad input with the right status and a JSON error naming the problem", async () => {
    const id = await api.newSession();
    const empty = await api.post(`/api/v1/sessions/${id}/messages`, { content: "" });
    expect(empty.status).toBe(400);
    expect(empty.json.error).toMatchObject({ code: "invalid_request" });
    expect(JSON.stringify(empty.json.error?.details)).toContain("content");
    const unknownField = await api.post(`/api/v1/sessions/${id}/messages`, { content: "x", extra: 1 });
    expect(unknownField.status).toBe(400);
    const badJson = await api.post(`/api/v1/sessions/${id}/messages`, "{not json");
    expect(badJson.status).toBe(400);
    const text = await api.post(`/api/v1/sessions/${id}/messages`, "hi", { "content-type": "text/plain" });
    expect(text.status).toBe(415);
    const long = await api.post(`/api/v1/sessions/${id}/messages`, { content: "x".repeat(2001) });
    expect(long.status).toBe(413);
    expect(long.json.error?.code).toBe("payload_too_large");
    const huge = await api.post(`/api/v1/sessions/${id}/messages`, { content: "x".repeat(2_000_000) });
    expect(huge.status).toBe(413);
    expect((await api.get("/api/v1/sessions/00000000-0000-0000-0000-000000000000")).status).toBe(404);
    expect((await api.get("/api/v1/sessions/not-a-uuid")).status).toBe(404);
    expect((await api.get("/api/v1/sessions?limit=0")).status).toBe(400);
    expect((await api.get("/api/v1/sessions?cursor=bogus")).status).toBe(400);
    const anon = await fetch(`${stack.base}/api/v1/sessions`);
    expect(anon.status).toBe(401);
    expect(((await anon.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    const rename = await api.patch(`/api/v1/sessions/${id}`, { title: "" });
    expect(rename.status).toBe(400);
    // Nothing half-written: no message or turn came from any of these.
    const detail = (await api.get(`/api/v1/sessions/${id}`)).json as unknown as Detail;
    expect(detail.messages).toHaveLength(0);
    expect(detail.turns).toHaveLength(0);
  });

  it("hides one tenant's sessions from another (404 over REST, SSE and writes)", async () => {
    const id = await api.newSession("Alice only");
    const other = client(stack.base, bob.token);
    expect((await other.get(`/api/v1/sessions/${id}`)).status).toBe(404);
    expect((await other.post(`/api/v1/sessions/${id}/messages`, { content: "hi" })).status).toBe(404);
    expect((await other.patch(`/api/v1/sessions/${id}`, { title: "mine" })).status).toBe(404);
    expect((await other.del(`/api/v1/sessions/${id}`)).status).toBe(404);
    expect((await other.post(`/api/v1/sessions/${id}/cancel`)).status).toBe(404);
    const events = await fetch(`${stack.base}/api/v1/sessions/${id}/events`, {
      headers: { authorization: `Bearer ${bob.token}` },
    });
    expect(events.status).toBe(404);
    const list = (await other.get("/api/v1/sessions")).json.items as { id: string }[];
    expect(list.map((s) => s.id)).not.toContain(id);
    expect((await api.get(`/api/v1/sessions/${id}`)).json.title).toBe("Alice only");
  });

  it("says which model roles can be used, and why not (the UI's first-run screen)", async () => {
    const res = await api.get("/api/v1/models");
    expect(res.status).toBe(200);
    expect(res.json.chat).toMatchObject({ configured: true, provider: "stub", model: "stub-chat" });
    // The utility role is on OpenAI with no key in the test environment.
    expect(res.json.utility).toMatchObject({ configured: false, provider: "openai" });
    expect((res.json.utility as { reason: string }).reason).toMatch(/OPENAI_API_KEY/);
    // Speech is on OpenAI with no key too: no call can start, and the microphone button says why.
    expect(res.json.stt).toMatchObject({ configured: false, provider: "openai" });
    expect(res.json.voice).toMatchObject({ usable: false, offline: false });
    expect((res.json.voice as { reason: string }).reason).toMatch(/speech to text/);
  });

  it("serves an OpenAPI 3.2 document covering the session routes", async () => {
    const res = await fetch(`${stack.base}/api/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, object>;
      components: { schemas: Record<string, object> };
    };
    expect(doc.openapi).toBe("3.2.0");
    for (const p of [
      "/api/v1/sessions",
      "/api/v1/sessions/{id}",
      "/api/v1/sessions/{id}/messages",
      "/api/v1/sessions/{id}/events",
      "/api/v1/tokens",
      "/api/v1/tokens/{id}",
    ])
      expect(doc.paths).toHaveProperty([p]);
    expect(doc.components.schemas.PostMessage).toMatchObject({ required: ["content"] });
  });
});

describe("turns", () => {
  it("streams a turn as SSE in several steps, then closes; the conversation and usage are stored", async () => {
    const id = await api.newSession();
    const res = await sse(id, "hello there, how are you today");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const { events, ended, ids } = await readSse(res);
    expect(ended).toBe(true);
    expect(types(events)[0]).toBe("turn.started");
    expect(types(events).at(-1)).toBe("turn.finished");
    const deltas = events.filter((e) => e.type === "message.delta");
    expect(deltas.length).toBeGreaterThan(3);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    const finished = events.at(-1) as Extract<SessionEvent, { type: "turn.finished" }>;
    expect(finished.usage.promptTokens).toBeGreaterThan(0);

    const detail = (await api.get(`/api/v1/sessions/${id}`)).json as unknown as Detail;
    expect(detail.title).toBe("hello there, how are you today");
    expect(detail.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(detail.messages[1]!.content).toBe("Echo: hello there, how are you today");
    expect(detail.turns[0]).toMatchObject({ status: "completed" });
    expect(detail.turns[0]!.usage.completionTokens).toBeGreaterThan(0);
    const usage = await stack.db.usageRecord.findFirst({ where: { turnId: finished.turnId } });
    expect(usage).toMatchObject({ model: "stub-chat", tenantId: alice.tenantId, userId: alice.userId });
    // The session takes the next message the moment the last event is out.
    const next = await api.post(`/api/v1/sessions/${id}/messages`, { content: "and another" });
    expect(next.status).toBe(202);
  });

  it("accepts a message with 202 and replays the session's events after Last-Event-ID", async () => {
    const id = await api.newSession();
    const accepted = await api.post(`/api/v1/sessions/${id}/messages`, { content: "first message" });
    expect(accepted.status).toBe(202);
    const turnId = accepted.json.turnId as string;
    await turnEnd(id, turnId);
    const all = await readSse(
      await fetch(`${stack.base}/api/v1/sessions/${id}/events`, {
        headers: { authorization: `Bearer ${alice.token}` },
      }),
      (e) => e.type === "turn.finished",
      10_000,
    );
    expect(all.events[0]!.seq).toBe(1);
    const resumeAt = all.events[2]!.seq;
    const rest = await readSse(
      await fetch(`${stack.base}/api/v1/sessions/${id}/events`, {
        headers: { authorization: `Bearer ${alice.token}`, "last-event-id": String(resumeAt) },
      }),
      (e) => e.type === "turn.finished",
      10_000,
    );
    expect(rest.events[0]!.seq).toBe(resumeAt + 1);
    expect(rest.events.map((e) => e.seq)).toEqual(
      all.events.filter((e) => e.seq > resumeAt).map((e) => e.seq),
    );
  });

  it("runs code_execution through the executor and feeds the result back", async () => {
    const id = await api.newSession();
    const res = await sse(id, 'compute [[tool:code_execution {"runtime":"python","code":"print(6*7)"}]]');
    const { events } = await readSse(res);
    const started = events.find((e) => e.type === "tool.started");
    const finished = events.find((e) => e.type === "tool.finished");
    expect(started).toMatchObject({
      tool: "code_execution",
      arguments: { runtime: "python", code: "print(6*7)" },
    });
    expect(finished).toMatchObject({
      tool: "code_execution",
      status: "succeeded",
      result: { stdout: "42\n" },
    });
    expect(types(events).at(-1)).toBe("turn.finished");
    const detail = (await api.get(`/api/v1/sessions/${id}`)).json as unknown as Detail;
    expect(detail.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
    expect(detail.messages[3]!.content).toContain("42");
    expect(detail.toolCalls[0]).toMatchObject({ tool: "code_execution", status: "succeeded" });
  });

  it("finishes through the response tool", async () => {
    const id = await api.newSession();
    const { events } = await readSse(await sse(id, "answer [[response]]"));
    expect(types(events).at(-1)).toBe("turn.finished");
    const detail = (await api.get(`/api/v1/sessions/${id}`)).json as unknown as Detail;
    expect(detail.messages.at(-1)).toMatchObject({
      role: "assistant",
      content: "Final answer via the response tool.",
    });
  });

  it("refuses a second message while a turn runs (409), and stops a turn mid-stream on cancel", async () => {
    const id = await api.newSession();
    const accepted = await api.post(`/api/v1/sessions/${id}/messages`, { content: "long story [[slow]]" });
    const turnId = accepted.json.turnId as string;
    const second = await api.post(`/api/v1/sessions/${id}/messages`, { content: "another" });
    expect(second.status).toBe(409);
    expect(second.json.error?.code).toBe("conflict");
    await waitUntil(
      async () => (await stack.db.message.findFirst({ where: { turnId, role: "assistant" } })) !== null,
      10_000,
      "the answer to start streaming",
    );
    await new Promise((r) => setTimeout(r, 1500));
    const cancel = await api.post(`/api/v1/sessions/${id}/cancel`, { turnId });
    expect(cancel.status).toBe(202);
    const detail = await turnEnd(id, turnId);
    expect(detail.turns[0]).toMatchObject({ status: "cancelled" });
    const partial = detail.messages.find((m) => m.role === "assistant")!;
    expect(partial.complete).toBe(true);
    expect(partial.content).toMatch(/^word0 word1 /);
    expect(partial.content).not.toContain("word299");
    expect((await api.post(`/api/v1/sessions/${id}/cancel`, { turnId })).status).toBe(409);
    // The session takes new turns afterwards.
    const next = await readSse(await sse(id, "still there?"));
    expect(types(next.events).at(-1)).toBe("turn.finished");
  });

  it("ends the turn failed with a readable reason when the provider breaks mid-stream, keeping the partial answer", async () => {
    const id = await api.newSession();
    const { events } = await readSse(await sse(id, "one two three four five [[fail-mid]]"));
    const failed = events.at(-1) as Extract<SessionEvent, { type: "turn.failed" }>;
    expect(failed.type).toBe("turn.failed");
    expect(failed.reason).toMatch(/model provider failed mid-answer/i);
    const detail = (await api.get(`/api/v1/sessions/${id}`)).json as unknown as Detail;
    expect(detail.turns[0]).toMatchObject({ status: "failed" });
    expect(detail.turns[0]!.error).toMatch(/mid-answer/);
    expect(detail.messages.find((m) => m.role === "assistant")!.content).toBe("Echo: one ");
  });

  it("reports provider HTTP errors in plain words", async () => {
    const id = await api.newSession();
    const { events } = await readSse(await sse(id, "please [[error:401]]"));
    expect(events.at(-1)).toMatchObject({ type: "turn.failed", code: "provider_auth" });
    expect((events.at(-1) as { reason: string }).reason).toMatch(/refused the API key/);
  });

  it("gives malformed tool arguments one repair attempt, then fails the turn readably", async () => {
    const once = await api.newSession();
    const repaired = await readSse(await sse(once, "go [[bad-args]]"));
    const tools = repaired.events.filter(
      (e): e is Extract<SessionEvent, { type: "tool.finished" }> => e.type === "tool.finished",
    );
    expect(tools.map((t) => t.status)).toEqual(["failed", "succeeded"]);
    expect(tools[0]!.error).toMatch(/not valid JSON/);
    expect(types(repaired.events).at(-1)).toBe("turn.finished");

    const twice = await api.newSession();
    const failed = await readSse(await sse(twice, "go [[bad-args-twice]]"));
    expect(failed.events.at(-1)).toMatchObject({ type: "turn.failed", code: "malformed_tool_call" });
    expect((failed.events.at(-1) as { reason: string }).reason).toMatch(/again after a repair attempt/);
  });

  it("stops at the step limit instead of looping", async () => {
    const id = await api.newSession();
    const { events } = await readSse(await sse(id, "forever [[loop]]"), undefined, 60_000);
    expect(events.at(-1)).toMatchObject({ type: "turn.failed", code: "max_steps" });
    expect(events.filter((e) => e.type === "tool.finished")).toHaveLength(3);
  });
});
