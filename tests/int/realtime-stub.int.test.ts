// The stub provider's OpenAI Realtime API over WebRTC, from the outside: a werift client posts its
// offer to /v1/realtime/calls and speaks espeak-ng phrases, a `ws` sideband watches the events.
// Hands-free turns, a function call, a barge-in, push-to-talk, and the refusals (bad key, bad SDP,
// an unknown or expired secret, a hung-up call, injected faults). No database: the stub runs here.
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseWav } from "@/lib/audio/wav";
import { AUDIO_RESPONSE_USAGE, FUNCTION_CALL_RESPONSE_USAGE } from "@/server/offline-provider/realtime/usage";
import { startStubProvider, type StubServer } from "@/server/offline-provider/server";
import { speak } from "@/server/offline-provider/speech/espeak";
import {
  newPeer,
  offerSdp,
  RealtimeMediaClient,
  RealtimeSideband,
  type ServerEvent,
} from "../helpers/realtime-client";

const KEY = "sk-stub-realtime-0123456789";
let stub: StubServer;
const open: { media: RealtimeMediaClient; sideband: RealtimeSideband }[] = [];

async function phrase(text: string): Promise<Int16Array> {
  return parseWav(await speak(text, "alloy", 1, 24_000))!.samples;
}

async function newCall(session?: Record<string, unknown>, key = KEY) {
  const media = new RealtimeMediaClient();
  await media.connect(stub.url, key, session);
  const sideband = await RealtimeSideband.connect(stub.url, KEY, media.callId);
  const call = { media, sideband };
  open.push(call);
  await sideband.next("session.created");
  return call;
}

/** Connecting a fresh client must fail with this message (the client is closed either way). */
async function refusedCall(key: string, message: string) {
  const media = new RealtimeMediaClient();
  try {
    await expect(media.connect(stub.url, key)).rejects.toThrow(message);
  } finally {
    await media.close();
  }
}

const post = (path: string, body: BodyInit | undefined, headers: Record<string, string> = {}) =>
  fetch(`${stub.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, ...headers },
    body,
  });

const types = (events: ServerEvent[]) => events.map((e) => e.type);
/** Index of the first event of `type` at or after `from`. */
const indexOf = (events: ServerEvent[], type: string, from = 0) =>
  events.findIndex((e, i) => i >= from && e.type === type);

beforeAll(async () => {
  stub = await startStubProvider({ apiKey: KEY, webrtc: { host: "127.0.0.1" } });
});
afterEach(async () => {
  for (const { media, sideband } of open.splice(0)) {
    sideband.close();
    await media.close();
  }
});
afterAll(async () => {
  await stub?.close();
});

describe("realtime stub: hands-free", () => {
  it("hears a question, transcribes it exactly, and answers aloud with usage", async () => {
    const { media, sideband } = await newCall();
    const speechEnd = media.say(await phrase("what is six times seven"));
    const completed = await sideband.next("conversation.item.input_audio_transcription.completed");
    expect(completed.transcript).toBe("what is six times seven");
    const done = await sideband.next("response.done", { timeoutMs: 30_000 });
    const response = done.response as {
      id: string;
      status: string;
      output: { id: string }[];
      usage: unknown;
    };
    expect(response.status).toBe("completed");
    expect(response.id).toMatch(/^resp_/);
    expect(response.usage).toEqual(AUDIO_RESPONSE_USAGE);

    const ev = sideband.events;
    const itemId = completed.item_id;
    // The turn, in order, all about one item.
    const turn = [
      "input_audio_buffer.speech_started",
      "input_audio_buffer.speech_stopped",
      "input_audio_buffer.committed",
      "conversation.item.added",
      "conversation.item.input_audio_transcription.completed",
    ].map((t) => indexOf(ev, t));
    expect(turn.every((i, k) => i >= 0 && (k === 0 || i > turn[k - 1]!))).toBe(true);
    for (const i of turn.slice(0, 3)) expect(ev[i]!.item_id).toBe(itemId);
    expect((ev[turn[3]!]!.item as { id: string; role: string }).id).toBe(itemId);
    const started = ev[turn[0]!]!;
    const stopped = ev[turn[1]!]!;
    expect(stopped.audio_end_ms as number).toBeGreaterThan(started.audio_start_ms as number);
    expect(
      sideband
        .of("conversation.item.input_audio_transcription.delta")
        .map((e) => e.delta)
        .join(""),
    ).toBe("what is six times seven");

    // The answer, in order.
    const answer = [
      "response.created",
      "response.output_item.added",
      "output_audio_buffer.started",
      "response.output_audio_transcript.delta",
      "response.output_audio_transcript.done",
      "output_audio_buffer.stopped",
      "response.done",
    ].map((t) => indexOf(ev, t, turn[4]));
    expect(answer.every((i, k) => i >= 0 && (k === 0 || i > answer[k - 1]!))).toBe(true);
    const deltas = sideband.of("response.output_audio_transcript.delta");
    expect(deltas.every((d) => d.response_id === response.id && d.item_id === response.output[0]!.id)).toBe(
      true,
    );
    const transcript = sideband.of("response.output_audio_transcript.done")[0]!.transcript;
    expect(deltas.map((d) => d.delta).join("")).toBe(transcript);
    expect(transcript).toBe("Echo: what is six times seven");
    // It was heard: loud audio after the question ended.
    expect(media.firstAudioAfter(speechEnd)).toBeDefined();

    // Every event has a fresh event_id, and the stub's key is in none of them.
    expect(new Set(ev.map((e) => e.event_id)).size).toBe(ev.length);
    expect(ev.every((e) => /^event_\d+$/.test(e.event_id))).toBe(true);
    expect(JSON.stringify(ev)).not.toContain(KEY);
  });

  it("calls a session tool for a tool phrase, then speaks the result it is given", async () => {
    const { media, sideband } = await newCall();
    sideband.send({
      type: "session.update",
      session: {
        type: "realtime",
        tools: [{ type: "function", name: "code_execution", parameters: { type: "object" } }],
        audio: { input: { turn_detection: { type: "server_vad", silence_duration_ms: 400 } } },
      },
    });
    const updated = await sideband.next("session.updated");
    const session = updated.session as {
      tools: { name: string }[];
      audio: { input: { turn_detection: Record<string, unknown> }; output: { voice: string } };
    };
    expect(session.tools[0]!.name).toBe("code_execution");
    // Merged, not replaced: the threshold and the voice are still there.
    expect(session.audio.input.turn_detection).toMatchObject({ silence_duration_ms: 400, threshold: 0.5 });
    expect(session.audio.output.voice).toBe("alloy");

    media.say(await phrase("please run the calculator tool"));
    const args = await sideband.next("response.function_call_arguments.done", { timeoutMs: 30_000 });
    expect(args.name).toBe("code_execution");
    expect(JSON.parse(args.arguments as string)).toEqual({ runtime: "python", code: "print(6 * 7)" });
    const first = await sideband.next("response.done");
    const response = first.response as { status: string; output: Record<string, unknown>[]; usage: unknown };
    expect(response.status).toBe("completed");
    expect(response.output).toHaveLength(1);
    expect(response.output[0]).toMatchObject({
      type: "function_call",
      call_id: args.call_id,
      name: "code_execution",
    });
    expect(response.usage).toEqual(FUNCTION_CALL_RESPONSE_USAGE);
    expect(sideband.of("output_audio_buffer.started")).toHaveLength(0);

    // A result for a call that does not exist is refused, naming the client's event.
    sideband.send({
      type: "conversation.item.create",
      event_id: "client_1",
      item: { type: "function_call_output", call_id: "call_nope", output: "1" },
    });
    const refused = await sideband.next("error");
    expect(refused.error).toMatchObject({
      type: "invalid_request_error",
      code: "invalid_value",
      event_id: "client_1",
    });

    const mark = sideband.events.length;
    sideband.send({
      type: "conversation.item.create",
      item: { type: "function_call_output", call_id: args.call_id, output: "42" },
    });
    const added = await sideband.next("conversation.item.added", { from: mark });
    expect(added.item).toMatchObject({ type: "function_call_output", call_id: args.call_id, output: "42" });
    const before = performance.now();
    sideband.send({ type: "response.create" });
    const done = await sideband.next("response.done", { from: mark, timeoutMs: 30_000 });
    expect((done.response as { status: string }).status).toBe("completed");
    const transcript = (await sideband.next("response.output_audio_transcript.done", { from: mark }))
      .transcript;
    expect(transcript).toBe("The tool returned: 42");
    expect(media.firstAudioAfter(before)).toBeDefined();
  });

  it("stops talking at once when the person speaks over it, truncates and cancels", async () => {
    const { media, sideband } = await newCall();
    media.say(await phrase("tell me a long story about the sea"));
    const audioStarted = await sideband.next("output_audio_buffer.started", { timeoutMs: 30_000 });
    const responseId = audioStarted.response_id;
    // Let about two seconds of the story play, then speak over it.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(media.firstAudioAfter(audioStarted.at)).toBeDefined();
    const interruption = await phrase("what is six times seven");
    const bargeAt = performance.now();
    media.say(interruption);
    const cleared = await sideband.next("output_audio_buffer.cleared", { timeoutMs: 10_000 });
    expect(cleared.response_id).toBe(responseId);
    const truncated = await sideband.next("conversation.item.truncated");
    const done = await sideband.next("response.done", {
      where: (e) => (e.response as { id: string }).id === responseId,
    });
    const response = done.response as {
      status: string;
      status_details: { reason: string };
      output: { id: string }[];
    };
    expect(response.status).toBe("cancelled");
    expect(response.status_details.reason).toBe("turn_detected");
    expect(truncated.item_id).toBe(response.output[0]!.id);
    expect(truncated.content_index).toBe(0);
    // Cut where it was: about two seconds in (the story runs ~20 s).
    expect(truncated.audio_end_ms as number).toBeGreaterThan(1_000);
    expect(truncated.audio_end_ms as number).toBeLessThan(10_000);
    const ev = sideband.events;
    const order = [
      "input_audio_buffer.speech_started",
      "output_audio_buffer.cleared",
      "conversation.item.truncated",
    ].map((t) => indexOf(ev, t, indexOf(ev, "output_audio_buffer.started")));
    expect(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]!))).toBe(true);
    // Cleared, never stopped: no output_audio_buffer.stopped between the story's start and its end.
    const storyEvents = ev.slice(indexOf(ev, "output_audio_buffer.started"), ev.indexOf(done));
    expect(types(storyEvents)).not.toContain("output_audio_buffer.stopped");
    // Silent quickly: the first quiet run starts within half a second of the person starting to speak
    // (measured ~100 ms: Silero confirms an onset in 64 ms; the rest is a busy machine), and nothing loud
    // follows the clear.
    await new Promise((r) => setTimeout(r, 800));
    const quiet = media.silenceAfter(bargeAt);
    expect(quiet).toBeDefined();
    expect(quiet!.at - bargeAt).toBeLessThan(500);
    expect(
      media.heard.filter((h) => h.at > cleared.at + 150 && h.at < cleared.at + 800 && h.rms > 300),
    ).toEqual([]);
    // The interruption itself is heard and answered.
    const next = await sideband.next("conversation.item.input_audio_transcription.completed", {
      where: (e) => e.transcript !== "tell me a long story about the sea",
    });
    expect(next.transcript).toBe("what is six times seven");
  });
});

describe("realtime stub: client controls", () => {
  it("response.cancel stops the answer, output_audio_buffer.clear the audio, truncate cuts the item", async () => {
    const { media, sideband } = await newCall();
    sideband.send({
      type: "conversation.item.create",
      item: {
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: "tell me a long story about the sea" }],
      },
    });
    await sideband.next("conversation.item.added");
    sideband.send({ type: "response.create" });
    const started = await sideband.next("output_audio_buffer.started", { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1_500));
    sideband.send({ type: "response.cancel" });
    const done = await sideband.next("response.done");
    const response = done.response as {
      id: string;
      status: string;
      status_details: { reason: string };
      output: { id: string }[];
    };
    expect(response).toMatchObject({ id: started.response_id, status: "cancelled" });
    expect(response.status_details.reason).toBe("client_cancelled");
    expect(response.output[0]!.id).toMatch(/^item_/);
    // The sentence already queued still plays until the client clears it; then it stops at once.
    sideband.send({ type: "output_audio_buffer.clear" });
    const cleared = await sideband.next("output_audio_buffer.cleared");
    expect(cleared.response_id).toBe(started.response_id);
    await new Promise((r) => setTimeout(r, 700));
    expect(media.heard.filter((h) => h.at > cleared.at + 150 && h.rms > 300)).toEqual([]);
    // The client says how much was heard; beyond the audio sent is refused.
    const itemId = response.output[0]!.id;
    sideband.send({
      type: "conversation.item.truncate",
      item_id: itemId,
      content_index: 0,
      audio_end_ms: 900,
    });
    const truncated = await sideband.next("conversation.item.truncated");
    expect(truncated).toMatchObject({ item_id: itemId, content_index: 0, audio_end_ms: 900 });
    sideband.send({
      type: "conversation.item.truncate",
      item_id: itemId,
      content_index: 0,
      audio_end_ms: 60_000,
      event_id: "client_long",
    });
    const long = await sideband.next("error", {
      where: (e) => (e.error as { event_id: string }).event_id === "client_long",
    });
    expect((long.error as { code: string }).code).toBe("invalid_value");
  });
});

describe("realtime stub: push-to-talk", () => {
  it("with turn_detection null waits for a commit, and answers on response.create", async () => {
    const { media, sideband } = await newCall({
      type: "realtime",
      audio: { input: { turn_detection: null } },
    });
    const created = sideband.of("session.created")[0]!.session as {
      audio: { input: { turn_detection: unknown } };
    };
    expect(created.audio.input.turn_detection).toBeNull();
    sideband.send({ type: "input_audio_buffer.clear" });
    await sideband.next("input_audio_buffer.cleared");
    const end = media.say(await phrase("what is six times seven"));
    await new Promise((r) => setTimeout(r, end - performance.now() + 600));
    expect(sideband.of("input_audio_buffer.speech_started")).toHaveLength(0);
    sideband.send({ type: "input_audio_buffer.commit" });
    const committed = await sideband.next("input_audio_buffer.committed");
    const completed = await sideband.next("conversation.item.input_audio_transcription.completed");
    expect(completed.item_id).toBe(committed.item_id);
    expect(completed.transcript).toBe("what is six times seven");
    expect(sideband.of("response.created")).toHaveLength(0);
    // A second response.create while one runs is refused, naming the client's event.
    sideband.send({ type: "response.create" });
    sideband.send({ type: "response.create", event_id: "client_twice" });
    const twice = await sideband.next("error");
    expect(twice.error).toMatchObject({
      code: "conversation_already_has_active_response",
      event_id: "client_twice",
    });
    const done = await sideband.next("response.done", { timeoutMs: 30_000 });
    expect((done.response as { status: string }).status).toBe("completed");
    expect(sideband.of("response.created")).toHaveLength(1);
    expect(sideband.of("response.output_audio_transcript.done")[0]!.transcript).toBe(
      "Echo: what is six times seven",
    );
  });
});

describe("realtime stub: refusals and faults", () => {
  it("refuses a bad key (401), a bad offer (400), and never echoes a key", async () => {
    const { pc, track } = newPeer();
    pc.addTransceiver(track, { direction: "sendrecv" });
    const sdp = await offerSdp(pc);
    await pc.close();
    const wrong = await post("/realtime/calls", sdp, {
      "content-type": "application/sdp",
      authorization: "Bearer sk-wrong",
    });
    expect(wrong.status).toBe(401);
    const body = await wrong.text();
    expect(JSON.parse(body)).toMatchObject({
      error: { type: "invalid_request_error", code: "invalid_api_key" },
    });
    expect(body).not.toContain("sk-wrong");
    expect(body).not.toContain(KEY);
    const none = await fetch(`${stub.url}/realtime/calls`, {
      method: "POST",
      body: sdp,
      headers: { "content-type": "application/sdp" },
    });
    expect(none.status).toBe(401);
    const bad = await post("/realtime/calls", "v=0\r\nthis is not an offer\r\n", {
      "content-type": "application/sdp",
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("invalid_offer");
    const form = new FormData();
    form.set("sdp", "hello");
    expect((await post("/realtime/calls", form)).status).toBe(400);
    // The offer the client built, reversed line by line: not an offer either.
    const reversed = sdp.split("\r\n").reverse().join("\r\n");
    expect((await post("/realtime/calls", reversed, { "content-type": "application/sdp" })).status).toBe(400);
    // A sideband with a wrong key is refused before it opens.
    await expect(RealtimeSideband.connect(stub.url, "sk-wrong", "rtc_x")).rejects.toThrow("401");
  });

  it("mints ephemeral keys that open calls, but not more keys; unknown keys are refused", async () => {
    const minted = await post(
      "/realtime/client_secrets",
      JSON.stringify({
        expires_after: { anchor: "created_at", seconds: 60 },
        session: { type: "realtime", instructions: "be brief" },
      }),
      { "content-type": "application/json" },
    );
    expect(minted.status).toBe(200);
    const secret = (await minted.json()) as {
      value: string;
      expires_at: number;
      session: { instructions: string };
    };
    expect(secret.value).toMatch(/^ek_[0-9a-f]{32}$/);
    expect(secret.expires_at - Date.now() / 1000).toBeGreaterThan(50);
    expect(secret.expires_at - Date.now() / 1000).toBeLessThanOrEqual(60);
    expect(secret.session.instructions).toBe("be brief");
    const { sideband } = await newCall(undefined, secret.value);
    expect((sideband.of("session.created")[0]!.session as { instructions: string }).instructions).toBe(
      "be brief",
    );
    // An ephemeral key cannot mint keys; a made-up one opens nothing; out-of-range lifetimes are refused.
    expect(
      (
        await post("/realtime/client_secrets", "{}", {
          authorization: `Bearer ${secret.value}`,
          "content-type": "application/json",
        })
      ).status,
    ).toBe(401);
    await refusedCall(`ek_${"0".repeat(32)}`, "401");
    expect(
      (
        await post(
          "/realtime/client_secrets",
          JSON.stringify({ expires_after: { anchor: "created_at", seconds: 5 } }),
        )
      ).status,
    ).toBe(400);
    // A beta-shaped session is refused by name.
    const beta = await post(
      "/realtime/client_secrets",
      JSON.stringify({ session: { turn_detection: null } }),
    );
    expect(beta.status).toBe(400);
    expect(((await beta.json()) as { error: { code: string } }).error.code).toBe("unknown_parameter");
  });

  it("takes the openai SDK's calls.create (multipart sdp + session) and calls.hangup", async () => {
    const sdk = new OpenAI({ apiKey: KEY, baseURL: stub.url, maxRetries: 0 });
    const { pc, track } = newPeer();
    pc.addTransceiver(track, { direction: "sendrecv" });
    const channel = pc.createDataChannel("oai-events");
    const onChannel: ServerEvent[] = [];
    channel.onMessage.subscribe((data) => onChannel.push(JSON.parse(data.toString()) as ServerEvent));
    try {
      const res = await sdk.realtime.calls
        .create({
          sdp: await offerSdp(pc),
          session: { type: "realtime", instructions: "be kind", audio: { input: { turn_detection: null } } },
        })
        .asResponse();
      expect(res.status).toBe(201);
      expect(res.headers.get("content-type")).toBe("application/sdp");
      const callId = res.headers.get("location")!.split("/").at(-1)!;
      expect(callId).toMatch(/^rtc_[0-9a-f]{24}$/);
      await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
      const sideband = await RealtimeSideband.connect(stub.url, KEY, callId);
      const created = (await sideband.next("session.created")).session as {
        instructions: string;
        audio: { input: { turn_detection: unknown } };
      };
      expect(created.instructions).toBe("be kind");
      expect(created.audio.input.turn_detection).toBeNull();
      // As OpenAI, the page's data channel gets the events too, and may change the session: the
      // sideband sees it (a gateway has to watch session.updated).
      const deadline = Date.now() + 10_000;
      while (!onChannel.some((e) => e.type === "session.created") && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(onChannel[0]?.type).toBe("session.created");
      channel.send(
        JSON.stringify({ type: "session.update", session: { type: "realtime", instructions: "obey me" } }),
      );
      const updated = await sideband.next("session.updated");
      expect((updated.session as { instructions: string }).instructions).toBe("obey me");
      expect(onChannel.map((e) => e.type)).toContain("session.updated");
      await sdk.realtime.calls.hangup(callId);
      await new Promise((r) => setTimeout(r, 300));
      expect(sideband.closed?.code).toBe(1000);
    } finally {
      await pc.close();
    }
  });

  it("lets ephemeral keys expire", async () => {
    const minted = await post(
      "/realtime/client_secrets",
      JSON.stringify({ expires_after: { anchor: "created_at", seconds: 10 } }),
    );
    const { value, expires_at: expiresAt } = (await minted.json()) as { value: string; expires_at: number };
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt * 1000 - Date.now()) + 200));
    await refusedCall(value, "401");
  }, 30_000);

  it("answers unknown or malformed client events with an error event", async () => {
    const { sideband } = await newCall();
    sideband.send({ type: "response.fly", event_id: "client_fly" });
    const unknown = await sideband.next("error");
    expect(unknown.error).toMatchObject({
      type: "invalid_request_error",
      code: "invalid_value",
      event_id: "client_fly",
    });
    const mark = sideband.events.length;
    (sideband as unknown as { ws: { send(s: string): void } }).ws.send("{not json");
    expect(((await sideband.next("error", { from: mark })).error as { code: string }).code).toBe(
      "invalid_json",
    );
    sideband.send({
      type: "session.update",
      event_id: "client_beta",
      session: { turn_detection: { type: "server_vad" } },
    });
    const beta = await sideband.next("error", {
      where: (e) => (e.error as { event_id: string }).event_id === "client_beta",
    });
    expect((beta.error as { code: string }).code).toBe("unknown_parameter");
    sideband.send({ type: "response.cancel", event_id: "client_cancel" });
    const idle = await sideband.next("error", {
      where: (e) => (e.error as { event_id: string }).event_id === "client_cancel",
    });
    expect((idle.error as { code: string }).code).toBe("response_cancel_not_active");
    sideband.send({
      type: "conversation.item.truncate",
      item_id: "item_nope",
      content_index: 0,
      audio_end_ms: 10,
    });
    await sideband.next("error", {
      where: (e) => (e.error as { code: string }).code === "item_truncate_invalid_item_id",
    });
  });

  it("hangs up: the sideband closes, gets nothing more, and cannot reconnect", async () => {
    const { media, sideband } = await newCall();
    const res = await post(`/realtime/calls/${media.callId}/hangup`, undefined);
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(sideband.closed?.code).toBe(1000);
    const count = sideband.events.length;
    media.say(await phrase("what is six times seven"));
    await new Promise((r) => setTimeout(r, 2_500));
    expect(sideband.events.length).toBe(count);
    await expect(RealtimeSideband.connect(stub.url, KEY, media.callId)).rejects.toThrow("404");
    expect((await post(`/realtime/calls/${media.callId}/hangup`, undefined)).status).toBe(404);
  });

  it("applies injected faults to calls, client secrets and the sideband; closes sidebands on request", async () => {
    const fault = (path: string, status: number) =>
      fetch(`${stub.url.replace(/\/v1$/, "")}/__stub/faults`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ path, status, count: 1 }),
      });
    await fault("/v1/realtime/calls", 503);
    await refusedCall(KEY, "503");
    await fault("/v1/realtime/client_secrets", 500);
    expect((await post("/realtime/client_secrets", "{}")).status).toBe(500);
    expect((await post("/realtime/client_secrets", "{}")).status).toBe(200);
    const { media, sideband } = await newCall();
    await fault("/v1/realtime", 503);
    await expect(RealtimeSideband.connect(stub.url, KEY, media.callId)).rejects.toThrow("503");
    // Closing the sidebands from the test: the call goes on, and a new sideband starts afresh.
    const closed = await fetch(`${stub.url.replace(/\/v1$/, "")}/__stub/realtime/close-sidebands`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ call_id: media.callId }),
    });
    expect(await closed.json()).toEqual({ closed: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect(sideband.closed?.code).toBe(1011);
    const again = await RealtimeSideband.connect(stub.url, KEY, media.callId);
    await again.next("session.created");
    again.close();
    expect(stub.requests.some((r) => r.path === "/v1/realtime/calls")).toBe(true);
  });
});
