// A voice call as a person makes one on a first run (no key, the offline voice): press the
// microphone, ask aloud, see the caption, hear the answer at the page, find the turn in the history
// after a reload, marked spoken. The fake microphone says VOICE_PHRASE once, two seconds in.
import { execFileSync } from "node:child_process";
import type { Page } from "@playwright/test";
import { FIRST_RUN_PORT, VOICE_PHRASE } from "../playwright.config";
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

test("ask aloud, hear the answer, find the spoken turn after a reload", async ({ page, operator }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await signIn(page, operator);

  await page.getByRole("button", { name: "Start a voice call" }).click();
  const status = page.getByTestId("call-status");
  await expect(status).toHaveText(/Listening|Hearing you/, { timeout: 15_000 });
  await expect(page.getByTestId("call-bar")).toContainText("Offline voice");
  const loudness = agentLoudness(page, 30_000);

  await expect(page.getByTestId("call-caption")).toContainText(`You: ${VOICE_PHRASE}`, { timeout: 20_000 });
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
  const wav = execFileSync("espeak-ng", ["--stdout", "-v", "en-us", "what is six times seven"]).toString(
    "base64",
  );
  await page.addInitScript((b64: string) => {
    // Relay-only with no relay server: the page has no candidates and uses none, so WebRTC never connects.
    class Unreachable extends RTCPeerConnection {
      constructor(config?: RTCConfiguration) {
        super({ ...config, iceTransportPolicy: "relay" });
      }
    }
    window.RTCPeerConnection = Unreachable;
    // A microphone the test speaks into on cue.
    navigator.mediaDevices.getUserMedia = async () => {
      const ctx = new AudioContext();
      const dest = ctx.createMediaStreamDestination();
      (window as unknown as { say: () => Promise<void> }).say = async () => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const source = ctx.createBufferSource();
        source.buffer = await ctx.decodeAudioData(bytes.buffer);
        source.connect(dest);
        source.start();
      };
      return dest.stream;
    };
  }, wav);
  await signIn(page, operator);
  await page.getByRole("button", { name: "Start a voice call" }).click();
  await expect(page.getByTestId("call-notice")).toContainText("Direct audio is blocked here", {
    timeout: 15_000,
  });
  await page.evaluate(() => (window as unknown as { say: () => Promise<void> }).say());
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
