// Voice calls end to end against a real gateway process: a WebRTC client (werift, in this process)
// speaks espeak-ng phrases; the gateway's VAD, the offline recogniser, the agent turn, the offline
// voice and the way back. Checks what is said back, what is stored, interruptions and refusals.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseWav } from "@/lib/audio/wav";
import { speak } from "@/server/offline-provider/speech/espeak";
import { client, seedUser, startChatStack, type ChatStack, type TestUser } from "../helpers/chat";
import { VoiceTestClient, voiceEnv } from "../helpers/voice-client";
import { settings } from "../helpers/services";
import { createRedis } from "@/lib/server/redis";
import { renewCall, sweepLostCalls } from "@/lib/voice/call-liveness";

let stack: ChatStack;
let user: TestUser;
const open: VoiceTestClient[] = [];

async function phrase(text: string): Promise<Int16Array> {
  return parseWav(await speak(text, "alloy", 1, 24_000))!.samples;
}

async function newCall(sessionId: string, token = user.token) {
  const c = new VoiceTestClient(stack.base, token);
  open.push(c);
  await c.start(sessionId);
  return c;
}

beforeAll(async () => {
  stack = await startChatStack((stub) => voiceEnv(stub.url));
  user = await seedUser(stack.db);
}, 180_000);

afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await stack?.close();
});

describe("voice call", () => {
  it("hears a question, answers it aloud, and keeps both turns marked voice", async () => {
    const api = client(stack.base, user.token);
    const sessionId = await api.newSession();
    const call = await newCall(sessionId);
    const speechEnd = call.say(await phrase("what is six times seven"));
    await call.waitFor(() => call.captions.some((c) => c.role === "user"), 15_000, "the user's caption");
    expect(call.captions.find((c) => c.role === "user")!.text).toBe("what is six times seven");
    // The caption filled in as the words were recognised (the provider streams its transcript).
    expect(call.partials.length).toBeGreaterThan(1);
    expect(call.partials[0]).toBe("what");
    expect(call.partials.at(-1)).toBe("what is six times seven");
    await call.waitFor(() => call.firstAudioAfter(speechEnd) !== undefined, 15_000, "the agent's voice");
    await call.waitFor(() => call.states.at(-1)?.state === "listening", 20_000, "listening again");
    expect(
      call.captions
        .filter((c) => c.role === "agent")
        .map((c) => c.text)
        .join(" "),
    ).toBe("Echo: what is six times seven");
    const detail = (await api.get(`/api/v1/sessions/${sessionId}`)).json as unknown as {
      messages: { role: string; content: string; source: string; voice: { callId: string } | null }[];
    };
    const [question, answer] = detail.messages;
    expect(question).toMatchObject({ role: "user", content: "what is six times seven", source: "voice" });
    expect(question!.voice?.callId).toBe(call.callId);
    expect(answer).toMatchObject({
      role: "assistant",
      content: "Echo: what is six times seven",
      source: "voice",
    });
    expect(call.states.map((s) => s.state)).toEqual(
      expect.arrayContaining(["listening", "hearing", "thinking", "speaking"]),
    );
    await call.hangup();
    expect(call.ended!.reason).toBe("hangup");
    const row = await stack.db.voiceCall.findUniqueOrThrow({ where: { id: call.callId } });
    expect(row).toMatchObject({ sessionId, endReason: "hangup" });
    expect(row.audioSeconds).toBeGreaterThan(2);
    const usage = await stack.db.usageRecord.findFirst({ where: { sessionId, model: "voice-call" } });
    expect(usage?.audioSeconds).toBeCloseTo(row.audioSeconds, 3);
  });

  it("stops at once when spoken over, and keeps only what was heard", async () => {
    const api = client(stack.base, user.token);
    const sessionId = await api.newSession();
    const call = await newCall(sessionId);
    const askedEnd = call.say(await phrase("tell me a long story about the sea"));
    await call.waitFor(() => call.firstAudioAfter(askedEnd) !== undefined, 15_000, "the story to start");
    await new Promise((r) => setTimeout(r, 2_500)); // let a few seconds of the story play
    const interruption = await phrase("stop talking please");
    const bargeAt = call.say(interruption) - (interruption.length / 24_000) * 1000;
    await call.waitFor(
      () => call.states.some((s) => s.state === "interrupted" && s.at >= bargeAt),
      5_000,
      "the pause",
    );
    await call.waitFor(() => call.silenceAfter(bargeAt) !== undefined, 3_000, "the agent to go quiet");
    // Speech detection needs 64 ms of speech; loopback and the jitter buffer add little.
    expect(call.silenceAfter(bargeAt)!.at - bargeAt).toBeLessThan(1_000);
    await call.waitFor(
      () => call.captions.some((c) => c.role === "user" && c.text === "stop talking please"),
      15_000,
      "the interruption's caption",
    );
    await call.waitFor(() => call.states.at(-1)?.state === "listening", 20_000, "listening after the answer");
    const detail = (await api.get(`/api/v1/sessions/${sessionId}`)).json as unknown as {
      messages: {
        role: string;
        content: string;
        voice: { interrupted?: boolean; heardMs?: number; heardFrom?: string; fullText?: string } | null;
      }[];
    };
    const story = detail.messages.find((m) => m.role === "assistant" && m.voice?.interrupted);
    expect(story, "the story is marked interrupted").toBeDefined();
    expect(story!.voice!.fullText!.startsWith(story!.content.replace(/\s+\S*$/, ""))).toBe(true);
    expect(story!.content.length).toBeGreaterThan(10);
    expect(story!.content.length).toBeLessThan(story!.voice!.fullText!.length);
    expect(story!.voice!.heardMs).toBeGreaterThan(1_500);
    expect(story!.voice!.heardFrom, "no report from this client: the gateway's estimate").toBe("server");
    // The interruption itself was a message, answered.
    expect(detail.messages.filter((m) => m.role === "user").map((m) => m.content)).toEqual([
      "tell me a long story about the sea",
      "stop talking please",
    ]);
    await call.hangup();
  });

  it("keeps what the page reports it played when that is less than was sent", async () => {
    // A page with a deep playout buffer had played less than the gateway sent: its report of the
    // last RTP timestamp played decides what the interrupted answer keeps.
    const me = await seedUser(stack.db); // voice starts are limited per user and minute
    const api = client(stack.base, me.token);
    const sessionId = await api.newSession();
    const call = await newCall(sessionId, me.token);
    const askedEnd = call.say(await phrase("tell me a long story about the sea"));
    await call.waitFor(() => call.firstAudioAfter(askedEnd) !== undefined, 15_000, "the story to start");
    const first = call.firstAudioAfter(askedEnd)!;
    await new Promise((r) => setTimeout(r, 2_500));
    // The page's last played packet: the one that arrived a second into the story.
    const playedPacket = call.heard.find((h) => h.at >= first.at + 1_000)!;
    const expectedMs = (((playedPacket.ts - first.ts) >>> 0) / 48_000) * 1000 + 20;
    const interruption = await phrase("stop talking please");
    const bargeAt = call.say(interruption) - (interruption.length / 24_000) * 1000;
    await call.waitFor(
      () => call.states.some((s) => s.state === "interrupted" && s.at >= bargeAt),
      5_000,
      "the pause",
    );
    call.played(playedPacket.ts);
    await call.waitFor(() => call.states.at(-1)?.state === "listening", 20_000, "listening after the answer");
    const detail = (await api.get(`/api/v1/sessions/${sessionId}`)).json as unknown as {
      messages: {
        role: string;
        voice: { interrupted?: boolean; heardMs?: number; heardFrom?: string } | null;
      }[];
    };
    const story = detail.messages.find((m) => m.role === "assistant" && m.voice?.interrupted);
    expect(story?.voice?.heardFrom).toBe("page");
    // The first loud packet may come a frame or two after the answer's first audio frame.
    expect(story!.voice!.heardMs).toBeGreaterThanOrEqual(expectedMs - 20);
    expect(story!.voice!.heardMs).toBeLessThanOrEqual(expectedMs + 100);
    await call.hangup();
  });

  it("ends the call when the media is lost mid-utterance, and sends none of it", async () => {
    const me = await seedUser(stack.db); // voice starts are limited per user and minute
    const api = client(stack.base, me.token);
    const sessionId = await api.newSession();
    const call = await newCall(sessionId, me.token);
    const words = await phrase("tell me a long story about the sea");
    call.say(words.subarray(0, Math.floor(words.length * 0.6)));
    await call.waitFor(() => call.states.some((s) => s.state === "hearing"), 5_000, "the person heard");
    call.loseMedia(); // mid-word: no silence follows, no packet at all
    await call.waitFor(() => call.ended !== undefined, 10_000, "the call to end");
    expect(call.ended).toMatchObject({ reason: "media_failed" });
    expect(call.ended!.message).toContain("what you were saying was not sent");
    const detail = (await api.get(`/api/v1/sessions/${sessionId}`)).json as unknown as {
      messages: unknown[];
    };
    expect(detail.messages).toEqual([]);
    const row = await stack.db.voiceCall.findUniqueOrThrow({ where: { id: call.callId } });
    expect(row.endReason).toBe("media_failed");
  });

  it("goes on after the signalling socket drops and comes back, the media still flowing", async () => {
    const api = client(stack.base, user.token);
    const call = await newCall(await api.newSession());
    expect(await call.dropSignalling(1_000)).toMatchObject({ ok: true });
    call.say(await phrase("hello how are you today"));
    await call.waitFor(
      () =>
        call.captions
          .filter((c) => c.role === "agent")
          .map((c) => c.text)
          .join(" ")
          .includes("hello how are you today"),
      20_000,
      "the answer after the resume",
    );
    expect(call.ended).toBeUndefined();
    // Nobody else may take the call over.
    const other = await seedUser(stack.db);
    const stranger = new VoiceTestClient(stack.base, other.token);
    open.push(stranger);
    expect(await stranger.call("voice.resume", { callId: call.callId })).toMatchObject({
      ok: false,
      error: { code: "not_found" },
    });
    await call.hangup();
  });

  it("runs a tool asked for by voice and says its result", async () => {
    const api = client(stack.base, user.token);
    const sessionId = await api.newSession();
    const call = await newCall(sessionId);
    call.say(await phrase("please run the calculator tool"));
    await call.waitFor(
      () => call.captions.some((c) => c.role === "agent" && c.text.includes("42")),
      30_000,
      "the result",
    );
    const detail = (await api.get(`/api/v1/sessions/${sessionId}`)).json as unknown as {
      toolCalls: { tool: string; status: string }[];
      messages: { role: string; content: string; source: string }[];
    };
    expect(detail.toolCalls).toMatchObject([{ tool: "code_execution", status: "succeeded" }]);
    await call.hangup();
  });

  it("says what failed when speech recognition or the voice fails, and the call goes on", async () => {
    const api = client(stack.base, user.token);
    const sessionId = await api.newSession();
    const call = await newCall(sessionId);
    const fault = (path: string, status: number, count: number) =>
      fetch(`${stack.stub.url.replace(/\/v1$/, "")}/__stub/faults`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ path, status, count }),
      });
    await fault("/v1/audio/transcriptions", 503, 4); // a retry each, speculative and final
    call.say(await phrase("what is six times seven"));
    await call.waitFor(() => call.problems.length > 0, 15_000, "the recognition problem");
    expect(call.problems[0]).toMatchObject({
      code: "stt_failed",
      message: expect.stringContaining("not sent") as string,
    });
    expect(call.ended).toBeUndefined();
    await call.waitFor(() => call.states.at(-1)?.state === "listening", 5_000, "listening again");
    expect((await api.get(`/api/v1/sessions/${sessionId}`)).json.messages).toEqual([]);

    await fetch(`${stack.stub.url.replace(/\/v1$/, "")}/__stub/faults`, { method: "DELETE" });
    await fault("/v1/audio/speech", 500, 100);
    call.say(await phrase("hello how are you today"));
    await call.waitFor(() => call.problems.some((p) => p.code === "tts_failed"), 15_000, "the voice problem");
    expect(call.problems.find((p) => p.code === "tts_failed")!.message).toContain("Voice unavailable");
    await call.waitFor(
      () => call.states.at(-1)?.state === "listening",
      15_000,
      "listening after the text answer",
    );
    const detail = (await api.get(`/api/v1/sessions/${sessionId}`)).json as unknown as {
      messages: { role: string; content: string }[];
    };
    expect(detail.messages.map((m) => m.content)).toEqual([
      "hello how are you today",
      "Echo: hello how are you today",
    ]);
    await fetch(`${stack.stub.url.replace(/\/v1$/, "")}/__stub/faults`, { method: "DELETE" });
    await call.hangup();
  });

  it("refuses a start with no voice minutes left (402) and the seventh start in a minute (429)", async () => {
    const spent = await seedUser(stack.db);
    await stack.db.usageRecord.create({
      data: { tenantId: spent.tenantId, model: "voice-call", audioSeconds: 120 * 60 },
    });
    const sessionId = await client(stack.base, spent.token).newSession();
    const c = new VoiceTestClient(stack.base, spent.token);
    open.push(c);
    expect(await c.call("voice.start", { sessionId })).toMatchObject({
      ok: false,
      error: { code: "budget_exceeded", message: expect.stringContaining("voice minutes") as string },
    });

    const busy = await seedUser(stack.db);
    const theirs = await client(stack.base, busy.token).newSession();
    const b = new VoiceTestClient(stack.base, busy.token);
    open.push(b);
    for (let i = 0; i < 6; i++) {
      const r = await b.call<{ callId: string }>("voice.start", { sessionId: theirs });
      expect(r.ok).toBe(true);
      if (r.ok) await b.call("voice.hangup", { callId: r.data.callId });
    }
    expect(await b.call("voice.start", { sessionId: theirs })).toMatchObject({
      ok: false,
      error: { code: "rate_limited" },
    });
  });

  it("refuses a start in a session the caller cannot write, and a second call elsewhere until taken over", async () => {
    const other = await seedUser(stack.db);
    const theirs = await client(stack.base, other.token).newSession();
    const intruder = new VoiceTestClient(stack.base, user.token);
    open.push(intruder);
    const refused = await intruder.call("voice.start", { sessionId: theirs });
    expect(refused).toMatchObject({ ok: false, error: { code: "not_found" } });

    const sessionId = await client(stack.base, other.token).newSession();
    const first = await newCall(sessionId, other.token);
    const second = new VoiceTestClient(stack.base, other.token);
    open.push(second);
    const busy = await second.call("voice.start", { sessionId });
    expect(busy).toMatchObject({ ok: false, error: { code: "conflict" } });
    await second.start(sessionId, { takeOver: true });
    await first.waitFor(() => first.ended !== undefined, 5_000, "the first call to end");
    expect(first.ended!.reason).toBe("replaced");
  });

  it("answers a bad payload with a clear error", async () => {
    const c = new VoiceTestClient(stack.base, user.token);
    open.push(c);
    expect(await c.call("voice.start", { sessionId: "nope" })).toMatchObject({
      ok: false,
      error: { code: "invalid_request", message: expect.stringContaining("sessionId") as string },
    });
    expect(
      await c.call("voice.offer", { callId: crypto.randomUUID(), sdp: "v=0 nothing here" }),
    ).toMatchObject({
      ok: false,
      error: { code: "not_found" },
    });
  });
});

describe("calls of a gateway that died", () => {
  it("are ended by the sweeper and counted up to their last sign of life; live ones are left alone", async () => {
    const redis = createRedis(settings().redis.url);
    const owner = await seedUser(stack.db);
    const sessionId = await client(stack.base, owner.token).newSession();
    const base = { tenantId: owner.tenantId, userId: owner.userId, sessionId };
    const startedAt = new Date(Date.now() - 5 * 60_000);
    const lost = await stack.db.voiceCall.create({ data: { ...base, startedAt } });
    const alive = await stack.db.voiceCall.create({ data: { ...base, startedAt } });
    await renewCall(redis, alive.id);
    expect(await sweepLostCalls(stack.db, redis)).toBeGreaterThanOrEqual(1);
    const row = await stack.db.voiceCall.findUniqueOrThrow({ where: { id: lost.id } });
    expect(row.endReason).toBe("gateway_lost");
    expect(row.audioSeconds).toBeGreaterThan(260);
    expect(row.audioSeconds).toBeLessThan(275);
    const usage = await stack.db.usageRecord.findFirstOrThrow({ where: { sessionId, model: "voice-call" } });
    expect(usage.audioSeconds).toBeCloseTo(row.audioSeconds, 3);
    expect((await stack.db.voiceCall.findUniqueOrThrow({ where: { id: alive.id } })).endedAt).toBeNull();
    // A second sweep counts nothing twice.
    await sweepLostCalls(stack.db, redis);
    expect(await stack.db.usageRecord.count({ where: { sessionId, model: "voice-call" } })).toBe(1);
    await stack.db.voiceCall.update({
      where: { id: alive.id },
      data: { endedAt: new Date(), endReason: "test" },
    });
    redis.disconnect();
  });
});

describe("a call that reaches its time limit", () => {
  it("is warned, then ended with the reason, and its length is measured", async () => {
    const short = await startChatStack((stub) => ({
      ...voiceEnv(stub.url),
      SOMA_SPEECH_MAX_CALL_SECONDS: "3",
    }));
    try {
      const me = await seedUser(short.db);
      const sessionId = await client(short.base, me.token).newSession();
      const call = new VoiceTestClient(short.base, me.token);
      open.push(call);
      const warnings: { code: string; message: string }[] = [];
      call.socket.on("voice.warning", (w: { code: string; message: string }) => warnings.push(w));
      await call.start(sessionId);
      await call.waitFor(() => call.ended !== undefined, 10_000, "the call to end at its limit");
      expect(warnings).toEqual([
        expect.objectContaining({
          code: "time_running_out",
          message: "3 seconds of voice time left in this call.",
        }),
      ]);
      expect(call.ended).toMatchObject({
        reason: "max_duration",
        message: "Calls end after 3 seconds; start a new one to go on.",
      });
      const row = await short.db.voiceCall.findUniqueOrThrow({ where: { id: call.callId } });
      expect(row.endReason).toBe("max_duration");
      expect(row.audioSeconds).toBeGreaterThanOrEqual(3);
      expect(row.audioSeconds).toBeLessThan(6);
      const metrics = await (await fetch(`${short.base}/metrics`)).text();
      expect(metrics).toMatch(/somaagent_voice_call_seconds_count\{mode="cascaded"\} 1/);
      expect(metrics).toMatch(/somaagent_voice_calls_ended_total\{reason="max_duration"\} 1/);
    } finally {
      await short.close();
    }
  }, 90_000);
});
