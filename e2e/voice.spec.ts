// A voice call as a person makes one on a first run (no key, the offline voice): press the
// microphone, ask aloud, see the caption, hear the answer at the page, find the turn in the history
// after a reload, marked spoken. The fake microphone says VOICE_PHRASE once, two seconds in.
import { execFileSync } from "node:child_process";
import type { Page } from "@playwright/test";
import { FIRST_RUN_PORT, OWN_GATEWAY_PORT, VOICE_PHRASE } from "../playwright.config";
import { startStubProvider } from "../server/offline-provider/server";
import { startGateway } from "../tests/helpers/chat";
import { stopProcess } from "../tests/helpers/services";
import { voiceEnv } from "../tests/helpers/voice-client";
import { expect, test } from "./fixtures/api";
import { signIn } from "./fixtures/ui";

test.use({ baseURL: `http://127.0.0.1:${FIRST_RUN_PORT}` });

/** The loudest RMS (0–1) of the agent's audio at the page within `ms`, read by an AnalyserNode. */
function agentLoudness(page: Page, ms: number): Promise<number> {
  return page.evaluate(async (ms) => {
    const end = Date.now() + ms;
    let el: HTMLAudioElement | null = null;
    while (Date.now() < end && !(el?.srcObject instanceof MediaStream)) {
      await new Promise((r) => setTimeout(r, 50));
      el = document.querySelector<HTMLAudioElement>('audio[data-testid="agent-audio"]');
    }
    if (!(el?.srcObject instanceof MediaStream)) return -1;
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    ctx.createMediaStreamSource(el.srcObject).connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    let loudest = 0;
    while (Date.now() < end && loudest < 0.05) {
      await new Promise((r) => setTimeout(r, 30));
      analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const v of buf) sum += v * v;
      loudest = Math.max(loudest, Math.sqrt(sum / buf.length));
    }
    await ctx.close();
    return loudest;
  }, ms);
}

/**
 * A microphone the test speaks into on cue: `say(page, name)` plays that phrase (espeak-ng) and
 * resolves with the page time (performance.now) at which its speech begins.
 */
async function speakingMicrophone(page: Page, phrases: Record<string, string>): Promise<void> {
  const wavs: Record<string, string> = {};
  for (const [name, text] of Object.entries(phrases))
    wavs[name] = execFileSync("espeak-ng", ["--stdout", "-v", "en-us", text]).toString("base64");
  await page.addInitScript((wavs: Record<string, string>) => {
    navigator.mediaDevices.getUserMedia = async () => {
      const ctx = new AudioContext();
      const dest = ctx.createMediaStreamDestination();
      // A microphone's faint hiss between phrases: Chromium sends nothing for a silent Web Audio track.
      const hiss = ctx.createConstantSource();
      hiss.offset.value = 0.0005;
      hiss.connect(dest);
      hiss.start();
      (window as unknown as { say: (name: string) => Promise<number> }).say = async (name) => {
        const bytes = Uint8Array.from(atob(wavs[name]!), (c) => c.charCodeAt(0));
        const buffer = await ctx.decodeAudioData(bytes.buffer);
        const samples = buffer.getChannelData(0);
        let first = 0;
        while (first < samples.length && Math.abs(samples[first]!) < 0.015) first++;
        const source = ctx.createBufferSource();
        source.buffer = buffer;
        source.connect(dest);
        source.start();
        return performance.now() + (first / buffer.sampleRate) * 1000;
      };
      return dest.stream;
    };
  }, wavs);
}

function say(page: Page, name: string): Promise<number> {
  return page.evaluate(
    (name) => (window as unknown as { say: (n: string) => Promise<number> }).say(name),
    name,
  );
}

test("ask aloud, hear the answer, find the spoken turn after a reload", async ({ page, operator }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await signIn(page, operator);

  await page.evaluate(() => {
    const shown: string[] = [];
    (window as unknown as { shownCaptions: string[] }).shownCaptions = shown;
    new MutationObserver(() => {
      const text = document.querySelector('[data-testid="call-caption"]')?.textContent ?? "";
      if (text && shown.at(-1) !== text) shown.push(text);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await page.getByRole("button", { name: "Start a voice call" }).click();
  const status = page.getByTestId("call-status");
  await expect(status).toHaveText(/Listening|Hearing you/, { timeout: 15_000 });
  await expect(page.getByTestId("call-bar")).toContainText("Offline voice");
  const loudness = agentLoudness(page, 30_000);

  // Every caption shown, in order: the person's may give way to the agent's within a frame.
  const captions = () =>
    page.evaluate(() => (window as unknown as { shownCaptions?: string[] }).shownCaptions ?? []);
  await expect.poll(captions, { timeout: 20_000 }).toContain(`You: ${VOICE_PHRASE}`);
  const question = page.getByTestId("user-message").last();
  await expect(question).toHaveText(new RegExp(`^${VOICE_PHRASE}`));
  await expect(question).toHaveAttribute("data-voice", "true");
  const answer = page.getByTestId("assistant-message").last();
  await expect(answer).toHaveAttribute("data-complete", "true", { timeout: 30_000 });
  expect(await loudness, "the agent's voice reached the page").toBeGreaterThan(0.01);
  await expect(page.getByTestId("call-caption")).toContainText("Agent:");

  await page.getByRole("button", { name: "Hang up" }).click();
  await expect(page.getByTestId("call-bar")).toBeHidden();
  await expect(page.getByRole("button", { name: "Start a voice call" })).toBeVisible();

  await page.reload();
  await expect(page.getByTestId("user-message").last()).toHaveAttribute("data-voice", "true");
  await expect(page.getByTestId("user-message").last()).toContainText("spoken");
  await expect(page.getByTestId("assistant-message").last()).toHaveAttribute("data-voice", "true");
  expect(errors).toEqual([]);
});

test("a microphone the browser refuses: the call says why and offers to try again", async ({
  page,
  operator,
}) => {
  await page.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () =>
      Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
  });
  await signIn(page, operator);
  await page.getByRole("button", { name: "Start a voice call" }).click();
  const alert = page.getByRole("alert").filter({ hasText: "Microphone access was denied" });
  await expect(alert).toBeVisible();
  await expect(alert.getByRole("button", { name: "Try again" })).toBeVisible();
  await alert.getByRole("button", { name: "Close" }).click();
  await expect(page.getByRole("button", { name: "Start a voice call" })).toBeVisible();
});

test("when direct audio cannot connect, the call goes on over the server connection and says so", async ({
  page,
  operator,
}) => {
  await page.addInitScript(() => {
    // Relay-only with no relay server: the page has no candidates and uses none, so WebRTC never connects.
    class Unreachable extends RTCPeerConnection {
      constructor(config?: RTCConfiguration) {
        super({ ...config, iceTransportPolicy: "relay" });
      }
    }
    window.RTCPeerConnection = Unreachable;
  });
  await speakingMicrophone(page, { question: "what is six times seven" });
  await signIn(page, operator);
  await page.getByRole("button", { name: "Start a voice call" }).click();
  await expect(page.getByTestId("call-notice")).toContainText("Direct audio is blocked here", {
    timeout: 15_000,
  });
  await say(page, "question");
  // The page's main thread is busy for most of the question: the microphone's audio waits, and no
  // word of it is lost.
  await page.evaluate(() => {
    const end = performance.now() + 800;
    while (performance.now() < end);
  });
  const question = page.getByTestId("user-message").last();
  await expect(question).toHaveText(/^what is six times seven/, { timeout: 20_000 });
  await expect(question).toHaveAttribute("data-voice", "true");
  await expect(page.getByTestId("call-caption")).toContainText("Agent:", { timeout: 20_000 });
  await expect(page.getByTestId("assistant-message").last()).toHaveAttribute("data-complete", "true", {
    timeout: 20_000,
  });
  await page.getByRole("button", { name: "Hang up" }).click();
  await expect(page.getByTestId("call-bar")).toBeHidden();
});

/** Records the agent's loudness at the page every 10 ms (a 512-sample AnalyserNode window, ~11 ms). */
async function startAgentMeter(page: Page): Promise<void> {
  await page.evaluate(async () => {
    let el: HTMLAudioElement | null = null;
    while (!(el?.srcObject instanceof MediaStream)) {
      await new Promise((r) => setTimeout(r, 50));
      el = document.querySelector<HTMLAudioElement>('audio[data-testid="agent-audio"]');
    }
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 512;
    ctx.createMediaStreamSource(el.srcObject).connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    const samples: { t: number; rms: number }[] = [];
    (window as unknown as { agentMeter: typeof samples }).agentMeter = samples;
    setInterval(() => {
      analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const v of buf) sum += v * v;
      samples.push({ t: performance.now(), rms: Math.sqrt(sum / buf.length) });
    }, 10);
  });
}

/** Milliseconds of loud agent audio at the page since `since` (page time). */
function loudMsSince(page: Page, since: number): Promise<number> {
  return page.evaluate(
    (since) =>
      (window as unknown as { agentMeter: { t: number; rms: number }[] }).agentMeter.filter(
        (s) => s.t >= since && s.rms > 0.02,
      ).length * 10,
    since,
  );
}

/** When the agent went quiet at the page after `since`: the start of the first quiet run of 500 ms. */
function quietAt(page: Page, since: number): Promise<number | null> {
  return page.evaluate((since) => {
    const samples = (window as unknown as { agentMeter: { t: number; rms: number }[] }).agentMeter;
    let start: number | null = null;
    for (const s of samples) {
      if (s.t < since) continue;
      if (s.rms > 0.002) start = null;
      else if (start === null) start = s.t;
      else if (s.t - start >= 500) return start;
    }
    return null;
  }, since);
}

test("speaking over the agent silences it at once, and the answer keeps what was heard", async ({
  page,
  operator,
  request,
}) => {
  await speakingMicrophone(page, {
    story: "tell me a long story about the sea",
    stop: "stop talking please",
  });
  await signIn(page, operator);
  await page.getByRole("button", { name: "Start a voice call" }).click();
  await expect(page.getByTestId("call-status")).toHaveText(/Listening/, { timeout: 15_000 });
  await startAgentMeter(page);
  const asked = await say(page, "story");
  await expect.poll(() => loudMsSince(page, asked), { timeout: 30_000 }).toBeGreaterThan(1_500);

  const onset = await say(page, "stop");
  await expect.poll(() => quietAt(page, onset), { timeout: 5_000 }).not.toBeNull();
  const silentAfter = (await quietAt(page, onset))! - onset;
  // Stopping, not speed: the figure is bench/voice-latency.ts's. Chromium adds its capture and
  // playout buffers; its jitter buffer grows after the gateway's first-call stalls (module loading).
  expect(silentAfter, "the agent stops when spoken over").toBeLessThan(1_000);

  const story = page.getByTestId("assistant-message").filter({ hasText: "interrupted" });
  await expect(story).toContainText("spoken · interrupted: the rest was not heard", { timeout: 20_000 });
  await expect(page.getByTestId("user-message").last()).toHaveText(/^stop talking please/, {
    timeout: 20_000,
  });
  await page.getByRole("button", { name: "Hang up" }).click();

  // What was kept: a prefix of the full answer, measured by what the page reported it played.
  const auth = { Authorization: `Bearer ${operator.token}` };
  const { items } = (await (await request.get("/api/v1/sessions", { headers: auth })).json()) as {
    items: { id: string }[];
  };
  const detail = (await (
    await request.get(`/api/v1/sessions/${items[0]!.id}`, { headers: auth })
  ).json()) as {
    messages: { role: string; content: string; voice: { heardFrom?: string; fullText?: string } | null }[];
  };
  const kept = detail.messages.find((m) => m.role === "assistant" && m.voice?.fullText);
  expect(kept?.voice?.heardFrom).toBe("page");
  expect(kept!.content.length).toBeGreaterThan(10);
  expect(kept!.voice!.fullText!.startsWith(kept!.content.replace(/\s+\S*$/, ""))).toBe(true);
  expect(kept!.content.length).toBeLessThan(kept!.voice!.fullText!.length);
});

test.describe("a gateway killed mid-call", () => {
  test.use({ baseURL: `http://127.0.0.1:${OWN_GATEWAY_PORT}` });

  test("the page says the connection was lost, and a new call works once the gateway is back", async ({
    page,
    operator,
  }) => {
    // A gateway started twice, a 10 s wait for the page to give up, and the dead turn's 15 s lease.
    test.setTimeout(180_000);
    const stub = await startStubProvider();
    const env = voiceEnv(stub.url);
    let { gateway } = await startGateway(stub, env, OWN_GATEWAY_PORT);
    try {
      await speakingMicrophone(page, { story: "tell me a long story about the sea" });
      await signIn(page, operator);
      await page.getByRole("button", { name: "Start a voice call" }).click();
      const status = page.getByTestId("call-status");
      await expect(status).toHaveText(/Listening/, { timeout: 15_000 });
      await say(page, "story");
      await expect(status).toHaveText(/Speaking/, { timeout: 20_000 });

      gateway.kill("SIGKILL");
      await expect(status).toHaveText(/Reconnecting/, { timeout: 5_000 });
      const lost = page.getByRole("alert").filter({ hasText: "The connection to the server was lost" });
      await expect(lost).toBeVisible({ timeout: 15_000 });

      ({ gateway } = await startGateway(stub, env, OWN_GATEWAY_PORT));
      // The turn it was answering is marked interrupted by the restarted gateway's sweeper once the
      // dead gateway's 15 s turn lease runs out (sweeps every 5 s); the page's chat socket then
      // reconnects with up to 5 s of back-off. On a loaded 2-core machine that took over 30 s.
      await expect(page.getByText("The gateway stopped while this turn ran.")).toBeVisible({
        timeout: 60_000,
      });
      await lost.getByRole("button", { name: "Try again" }).click();
      await expect(page.getByTestId("call-status")).toHaveText(/Listening/, { timeout: 20_000 });
      await page.getByRole("button", { name: "Hang up" }).click();
      await expect(page.getByTestId("call-bar")).toBeHidden();
    } finally {
      await stopProcess(gateway);
      await stub.close();
    }
  });
});

test.describe("a realtime call", () => {
  test.use({ baseURL: `http://127.0.0.1:${OWN_GATEWAY_PORT}` });

  test("talks to the provider's model through the gateway: captions, audio, history", async ({
    page,
    operator,
  }) => {
    test.setTimeout(120_000);
    const stub = await startStubProvider({ webrtc: { host: "127.0.0.1" } }); // media on loopback only
    const env = {
      ...voiceEnv(stub.url),
      SOMA_SPEECH_MODE: "realtime",
      SOMA_SPEECH_REALTIME_PROVIDER: "stub",
      SOMA_SPEECH_REALTIME_MODEL: "stub-realtime",
      SOMA_SPEECH_REALTIME_BASE_URL: stub.url,
    };
    const { gateway } = await startGateway(stub, env, OWN_GATEWAY_PORT);
    try {
      await speakingMicrophone(page, { question: "what is six times seven" });
      await signIn(page, operator);
      await page.getByRole("button", { name: "Start a voice call" }).click();
      await expect(page.getByTestId("call-status")).toHaveText(/Listening/, { timeout: 20_000 });
      const loudness = agentLoudness(page, 30_000);
      await say(page, "question");
      // The person's caption gives way to the agent's at once; the message stays.
      await expect(page.getByTestId("user-message").last()).toHaveText(/^what is six times seven/, {
        timeout: 20_000,
      });
      await expect(page.getByTestId("call-caption")).toContainText("Agent:", { timeout: 20_000 });
      expect(await loudness, "the provider's voice reached the page").toBeGreaterThan(0.01);
      await expect(page.getByTestId("assistant-message").last()).toHaveAttribute("data-complete", "true", {
        timeout: 20_000,
      });
      await page.getByRole("button", { name: "Hang up" }).click();
      await page.reload();
      await expect(page.getByTestId("user-message").last()).toHaveText(/^what is six times seven/);
      await expect(page.getByTestId("user-message").last()).toHaveAttribute("data-voice", "true");
      await expect(page.getByTestId("assistant-message").last()).toHaveAttribute("data-voice", "true");
    } finally {
      await stopProcess(gateway);
      await stub.close();
    }
  });
});
