// A process of voice-call clients for bench/voice-latency.ts (started by voice-callers.ts): werift
// peers with opusscript, as tests/helpers/voice-client.ts makes them, off the bench's own process so
// their Opus work and event loop are not the gateway's or the speech provider's. Each figure is
// taken on this process's clock alone: the end of the speech it sent and the first agent audio it
// received (or the onset it sent and the silence after it).
import { VoiceTestClient } from "../../tests/helpers/voice-client";
import { loopDelayMonitor } from "./loop-delay";
import type { CallerReply, CallerRequest, Phrase } from "./voice-callers";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const loop = loopDelayMonitor();
const calls: VoiceTestClient[] = [];
const asked = new Map<VoiceTestClient, number>();
let base = "";
let questions: Phrase[] = [];
let story: Phrase | undefined;
let stop: Phrase | undefined;

const RATE = 24_000;
/** When each call's agent captions arrived (the gateway sends one as it cuts a piece to speak). */
const agentCaptions = new Map<VoiceTestClient, number[]>();

/** One answered question, in ms from the end of the person's speech (at the caller). */
export interface Turn {
  /** The gateway said "thinking": it ended the turn and had the words. */
  heard: number;
  /** The first piece of the answer was cut to speak (its caption arrived). */
  piece: number;
  /** The first agent audio arrived. */
  e2e: number;
}
const lengthMs = (p: Phrase) => (p.pcm.length / RATE) * 1000;

/** One question on `call` (its own questions in turn); `at`: when to start saying it (this clock). */
async function ask(call: VoiceTestClient, at?: number): Promise<Turn> {
  const n = asked.get(call) ?? 0;
  asked.set(call, n + 1);
  // Two questions in turn: the test model echoes each one, and a question repeating the agent's
  // last words within 5 s would (rightly) be dropped as the agent's own echo.
  const q = questions[n % questions.length]!;
  if (at !== undefined) await sleep(Math.max(0, at - performance.now()));
  const before = call.states.length;
  const sentEnd = call.say(q.pcm);
  const speechEnd = sentEnd - q.trailMs;
  await call
    .waitFor(() => call.firstAudioAfter(sentEnd) !== undefined, 20_000, "the answer")
    .catch((err: unknown) => {
      console.error({
        states: call.states.slice(-5),
        captions: call.captions.slice(-3),
        problems: call.problems,
      });
      throw err;
    });
  const e2e = call.firstAudioAfter(sentEnd)!.at - speechEnd;
  const thinking = call.states.slice(before).find((s) => s.state === "thinking")?.at ?? NaN;
  const piece = agentCaptions.get(call)?.find((t) => t >= speechEnd) ?? NaN;
  await call.waitFor(
    () =>
      call.states.slice(before).some((s) => s.state === "speaking") &&
      call.states.at(-1)?.state === "listening",
    30_000,
    "listening again",
  );
  return { heard: thinking - speechEnd, piece: piece - speechEnd, e2e };
}

/** An interruption: onset → silence at the client (ms), and how late this process sent the onset. */
export interface BargeIn {
  ms: number;
  lateSend: number;
}

async function bargeIn(call: VoiceTestClient): Promise<BargeIn> {
  const sentEnd = call.say(story!.pcm);
  await call.waitFor(() => call.firstAudioAfter(sentEnd) !== undefined, 20_000, "the story");
  await sleep(1_500);
  const sentBefore = call.sent.length;
  const stopEnd = call.say(stop!.pcm);
  const onset = stopEnd - lengthMs(stop!) + stop!.onsetMs;
  await call.waitFor(() => call.silenceAfter(onset) !== undefined, 5_000, "silence");
  const ms = call.silenceAfter(onset)!.at - onset;
  const start = call.sent[sentBefore];
  const lateSend = start ? start.actual - start.expected : NaN;
  await call.waitFor(
    () => call.states.at(-1)?.state === "listening",
    30_000,
    "listening after the interruption",
  );
  await sleep(300);
  return { ms, lateSend };
}

async function handle(req: CallerRequest): Promise<unknown> {
  switch (req.cmd) {
    case "init":
      ({ base, questions, story, stop } = req);
      return null;
    case "start": {
      const c = new VoiceTestClient(base, req.token);
      const captions: number[] = [];
      agentCaptions.set(c, captions);
      c.socket.on("voice.caption", (e) => {
        if (e.role === "agent" && !e.partial) captions.push(performance.now());
      });
      await c.start(req.sessionId);
      calls.push(c);
      return calls.length - 1;
    }
    case "turns": {
      const out: Turn[] = [];
      for (let i = 0; i < req.count; i++) out.push(await ask(calls[req.call]!));
      return out;
    }
    case "bargeIns": {
      const out: BargeIn[] = [];
      for (let i = 0; i < req.count; i++) out.push(await bargeIn(calls[req.call]!));
      return out;
    }
    case "talk": {
      // As a person talks: wait, ask, hear the whole answer, pause, ask again.
      await sleep(req.delayMs);
      const out: Turn[] = [];
      for (let i = 0; i < req.questions; i++) {
        out.push(await ask(calls[req.call]!));
        await sleep(req.pauseMs[0] + Math.random() * (req.pauseMs[1] - req.pauseMs[0]));
      }
      return out;
    }
    case "askEndingAt": {
      // The question ends at `endAt` (ms since the epoch, the same instant in every process).
      const c = calls[req.call]!;
      const q = questions[(asked.get(c) ?? 0) % questions.length]!;
      const at = req.endAt - performance.timeOrigin - (lengthMs(q) - q.trailMs);
      return ask(c, at);
    }
    case "loop":
      return loop.take();
    case "close":
      await Promise.all(calls.map(async (c) => (await c.hangup().catch(() => undefined), await c.close())));
      return null;
  }
}

process.on("message", (msg: { id: number; req: CallerRequest }) => {
  void handle(msg.req).then(
    (result) => process.send!({ id: msg.id, ok: true, result } satisfies CallerReply),
    (err: unknown) =>
      process.send!({
        id: msg.id,
        ok: false,
        error: String((err as Error)?.stack ?? err),
      } satisfies CallerReply),
  );
});
process.send!({ id: 0, ok: true, result: "ready" } satisfies CallerReply);
