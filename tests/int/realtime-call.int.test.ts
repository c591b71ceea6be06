// Realtime voice calls end to end: a WebRTC client (werift, in this process) starts a call on a real
// gateway process with speech.mode=realtime; the gateway relays its offer to the offline provider's
// Realtime API (the stub, in this process) and keeps the call's sideband. The audio flows between
// the client and the provider; captions, states, messages, tools and usage come from the gateway.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseWav } from "@/lib/audio/wav";
import { speak } from "@/server/offline-provider/speech/espeak";
import { startStubProvider, type StubServer } from "@/server/offline-provider/server";
import { client, seedUser, type GatewayProcess } from "../helpers/chat";
import type { ExecutorProcess } from "../helpers/executor";
import { stopProcess } from "../helpers/services";
import { VoiceTestClient } from "../helpers/voice-client";
import { startRealtimeStack } from "../helpers/realtime-stack";
import { createDb, type Db } from "@/lib/server/db";
import { settings } from "../helpers/services";

/** The provider's key: a sentinel that must appear in nothing the page receives. */
const KEY = `sk-sentinel-${crypto.randomUUID()}`;

let stub: StubServer;
let gateway: GatewayProcess;
let executor: ExecutorProcess;
let base: string;
let db: Db;
const open: VoiceTestClient[] = [];

async function phrase(text: string): Promise<Int16Array> {
  return parseWav(await speak(text, "alloy", 1, 24_000))!.samples;
}

async function newCall(token: string, sessionId: string, mode?: "cascaded" | "realtime") {
  const c = new VoiceTestClient(base, token);
  open.push(c);
  const reply = await c.start(sessionId, mode ? { mode } : {});
  return { call: c, reply };
}

/** Everything the client received over the signalling socket, as text. */
function seenByPage(c: VoiceTestClient): string {
  return JSON.stringify({
    states: c.states,
    captions: c.captions,
    partials: c.partials,
    problems: c.problems,
  });
}

beforeAll(async () => {
  db = createDb(settings().database.url);
  stub = await startStubProvider({ apiKey: KEY, webrtc: { host: "127.0.0.1" } });
  ({ executor, gateway, base } = await startRealtimeStack(stub, KEY));
}, 120_000);

afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await Promise.all([stopProcess(gateway), stopProcess(executor)]);
  await stub.close();
  await db.$disconnect();
});

interface Detail {
  messages: {
    role: string;
    content: string;
    source: string;
    voice: { interrupted?: boolean; heardMs?: number; heardFrom?: string; fullText?: string } | null;
  }[];
}

describe("realtime voice call", () => {
  it("relays the call to the provider and records the spoken turn, its answer and its usage", async () => {
    const me = await seedUser(db);
    const api = client(base, me.token);
    const sessionId = await api.newSession();
    const { call, reply } = await newCall(me.token, sessionId);
    expect(reply.mode).toBe("realtime");
    const asked = call.say(await phrase("what is six times seven"));
    await call.waitFor(() => call.firstAudioAfter(asked) !== undefined, 20_000, "the answer's audio");
    await call.waitFor(
      () => call.captions.some((c) => c.role === "user" && c.text === "what is six times seven"),
      10_000,
      "the person's caption",
    );
    await call.waitFor(() => call.captions.some((c) => c.role === "agent"), 10_000, "the agent's caption");
    await call.waitFor(() => call.states.at(-1)?.state === "listening", 20_000, "listening again");
    await call.hangup();
    const detail = (await api.get(`/api/v1/sessions/${sessionId}`)).json as unknown as Detail;
    const user = detail.messages.find((m) => m.role === "user");
    const answer = detail.messages.find((m) => m.role === "assistant");
    expect(user).toMatchObject({ content: "what is six times seven", source: "voice" });
    expect(answer?.source).toBe("voice");
    expect(answer!.content.length).toBeGreaterThan(3);
    const turn = await db.turn.findFirstOrThrow({ where: { sessionId } });
    expect(turn.status).toBe("completed");
    expect(turn.promptTokens + turn.completionTokens).toBeGreaterThan(0);
    // Priced per token kind (stub-realtime: text 1/2, audio 10/20 USD per 1M): the stub's fixed
    // usage of one spoken answer, 20 text + 100 audio in, 20 text + 60 audio out.
    const usage = await db.usageRecord.findFirstOrThrow({ where: { turnId: turn.id } });
    expect(Number(usage.costUsd)).toBeCloseTo((20 * 1 + 100 * 10 + 20 * 2 + 60 * 20) / 1e6, 8);
    expect(seenByPage(call)).not.toContain(KEY);
    // The page reported its media connected: offer → connected is measured per mode.
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/somaagent_voice_offer_connected_seconds_count\{mode="realtime"\} [1-9]/);
  });

  it("has no direct start unless speech.realtime.allowDirect is on (404)", async () => {
    const me = await seedUser(db);
    const api = client(base, me.token);
    const sessionId = await api.newSession();
    const r = await api.post("/api/v1/realtime/session", { sessionId });
    expect(r.status).toBe(404);
    expect(r.json.error?.message).toMatch(/allowDirect/);
  });

  it("runs the tool the provider asks for through the executor and sends its output back", async () => {
    const me = await seedUser(db);
    const api = client(base, me.token);
    const sessionId = await api.newSession();
    const { call } = await newCall(me.token, sessionId);
    call.say(await phrase("please run the calculator tool"));
    await call.waitFor(
      () => call.states.some((s) => s.state === "speaking"),
      30_000,
      "the answer after the tool",
    );
    await call.waitFor(() => call.states.at(-1)?.state === "listening", 30_000, "listening again");
    const rows = await db.toolCall.findMany({ where: { sessionId } });
    expect(rows.map((r) => [r.tool, r.status])).toEqual([["code_execution", "succeeded"]]);
    const detail = (await api.get(`/api/v1/sessions/${sessionId}`)).json as unknown as Detail;
    expect(detail.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
    await call.hangup();
  });

  it("keeps only what was heard of an answer spoken over", async () => {
    const me = await seedUser(db);
    const api = client(base, me.token);
    const sessionId = await api.newSession();
    const { call } = await newCall(me.token, sessionId);
    const asked = call.say(await phrase("tell me a long story about the sea"));
    await call.waitFor(() => call.firstAudioAfter(asked) !== undefined, 20_000, "the story");
    await new Promise((r) => setTimeout(r, 2_500));
    const stop = await phrase("stop talking please");
    const bargeAt = call.say(stop) - (stop.length / 24_000) * 1000;
    await call.waitFor(() => call.silenceAfter(bargeAt) !== undefined, 5_000, "the agent to go quiet");
    await call.waitFor(
      () => call.captions.some((c) => c.role === "user" && c.text === "stop talking please"),
      15_000,
      "the interruption's caption",
    );
    await call.waitFor(() => call.states.at(-1)?.state === "listening", 30_000, "listening again");
    const detail = (await api.get(`/api/v1/sessions/${sessionId}`)).json as unknown as Detail;
    const story = detail.messages.find((m) => m.role === "assistant" && m.voice?.interrupted);
    expect(story?.voice?.heardFrom).toBe("provider");
    expect(story!.voice!.heardMs).toBeGreaterThan(1_000);
    expect(story!.content.length).toBeGreaterThan(5);
    expect(story!.content.length).toBeLessThan(story!.voice!.fullText!.length);
    expect(story!.voice!.fullText!.startsWith(story!.content.replace(/\s+\S*$/, ""))).toBe(true);
    await call.hangup();
  });

  it("says why when the provider fails, and a cascaded call works instead", async () => {
    const me = await seedUser(db);
    const api = client(base, me.token);
    const sessionId = await api.newSession();
    await fetch(`${stub.url.replace(/\/v1$/, "")}/__stub/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ path: "/v1/realtime/calls", status: 500, count: 1 }),
    });
    await expect(newCall(me.token, sessionId)).rejects.toThrow(/realtime voice provider failed.*Cascaded/);
    const { call, reply } = await newCall(me.token, sessionId, "cascaded");
    expect(reply.mode).toBe("cascaded");
    const asked = call.say(await phrase("what is six times seven"));
    await call.waitFor(() => call.firstAudioAfter(asked) !== undefined, 20_000, "the cascaded answer");
    await call.hangup();
  });

  it("ends the call, saying why, when its sideband cannot open (it opens while the answer goes back)", async () => {
    const me = await seedUser(db);
    const sessionId = await client(base, me.token).newSession();
    const control = stub.url.replace(/\/v1$/, "");
    await fetch(`${control}/__stub/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ path: "/v1/realtime", status: 503, count: 1 }),
    });
    const requests = async () =>
      ((await (await fetch(`${control}/__stub/requests`)).json()) as { requests: { path: string }[] })
        .requests;
    const before = (await requests()).length;
    const c = new VoiceTestClient(base, me.token);
    open.push(c);
    // The answer came; whether the media connects before the call ends is a race of no interest here.
    void c.start(sessionId).catch(() => undefined);
    await c.waitFor(() => c.ended !== undefined, 15_000, "the call to end");
    expect(c.ended?.reason).toBe("failed");
    expect(c.ended?.message).toMatch(/realtime voice provider failed \(503\)/);
    // The provider's call is hung up, not left to the page.
    const since = (await requests()).slice(before).map((r) => r.path);
    expect(since.filter((p) => /^\/v1\/realtime\/calls\/[^/]+\/hangup$/.test(p))).toHaveLength(1);
    expect(seenByPage(c)).not.toContain(KEY);
  });

  it("goes on after the signalling socket drops and comes back (the audio never passed through it)", async () => {
    const me = await seedUser(db);
    const sessionId = await client(base, me.token).newSession();
    const { call } = await newCall(me.token, sessionId);
    expect((await call.dropSignalling(1_000)).ok).toBe(true);
    call.say(await phrase("what is six times seven"));
    await call.waitFor(
      () => call.captions.some((c) => c.role === "agent"),
      20_000,
      "the answer after the resume",
    );
    await call.hangup();
  });

  it("ends the call when the sideband is lost for good, and goes on when it comes back", async () => {
    const me = await seedUser(db);
    const api = client(base, me.token);
    const sessionId = await api.newSession();
    const { call } = await newCall(me.token, sessionId);
    const control = stub.url.replace(/\/v1$/, "");
    // Closed once: the gateway opens it again and the call goes on.
    await fetch(`${control}/__stub/realtime/close-sidebands`, { method: "POST" });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(call.ended).toBeUndefined();
    // Closed and refused from then on: the call ends, saying why.
    await fetch(`${control}/__stub/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ path: "/v1/realtime", status: 503, count: 100 }),
    });
    await fetch(`${control}/__stub/realtime/close-sidebands`, { method: "POST" });
    await call.waitFor(() => call.ended !== undefined, 10_000, "the call to end");
    expect(call.ended).toMatchObject({ reason: "realtime_lost" });
    await fetch(`${control}/__stub/faults`, { method: "DELETE" });
  });
});
