// Playwright drives Debian's Chromium (no browser download) against a production build of the
// gateway started on its own port with the test configuration from scripts/test.sh.
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { defineConfig } from "@playwright/test";
import { parseWav, resample, wavFromSamples, wavTone } from "./lib/audio/wav";

const PORT = 3100;
const STUB_PORT = 3190; // the OpenAI-compatible test provider
const EXECUTOR_HEALTH_PORT = 3101;
const CI = Boolean(process.env.CI);
const STUB_KEY = "e2e-stub-key";
/**
 * A first run: a second gateway with no provider key and nothing configured, beside the offline
 * provider `make dev-up` would start (e2e/first-run.spec.ts). Its settings file starts empty.
 */
export const FIRST_RUN_PORT = 3200;
const OFFLINE_PORT = 3191;
/** Gateways the voice specs start themselves (to kill one, or to set realtime mode): one at a time. */
export const OWN_GATEWAY_PORT = 3210;
const FIRST_RUN_SETTINGS = path.resolve("tmp/test/e2e-first-run/settings.json");
// The shared settings documents of this run: the main gateway and its executor share one, the first
// run gateway has its own (as it has its own settings file). Kept in the environment so the test
// workers, which load this file again, agree.
process.env.SOMA_E2E_RUN ??= crypto.randomUUID().slice(0, 8);
const SETTINGS_SCOPE = `e2e-${process.env.SOMA_E2E_RUN}`;
/**
 * What the fake microphone hears: a steady 440 Hz tone of our own, looped, rather than Chromium's
 * built-in fake input (a 35 ms beep every 500 ms, which has changed between Chromium releases).
 */
const MICROPHONE_WAV = path.resolve("tmp/test/e2e/microphone.wav");
/** What the voice specs' microphone says, once: 2 s of silence, a known phrase, then silence. */
const VOICE_WAV = path.resolve("tmp/test/e2e/voice-question.wav");
export const VOICE_PHRASE = "what is six times seven";

function spokenWav(phrase: string, leadS: number, tailS: number): Buffer {
  const spoken = parseWav(execFileSync("espeak-ng", ["--stdout", "-v", "en-us", phrase]))!;
  const rate = 48_000;
  const speech = resample(spoken.samples, spoken.sampleRate, rate);
  const out = new Int16Array(Math.round((leadS + tailS) * rate) + speech.length);
  out.set(speech, Math.round(leadS * rate));
  return wavFromSamples(out, rate);
}
/**
 * The e2e gateway's own settings file, reset at the start of each run (by the main process, not
 * the workers): the chat model and the voice are set here, so the settings tests can change them;
 * the chat model's address is set by an environment variable, so it shows as locked.
 */
const SETTINGS_FILE = path.resolve("tmp/test/e2e/settings.json");
if (process.env.TEST_WORKER_INDEX === undefined) {
  fs.mkdirSync(path.dirname(SETTINGS_FILE), { recursive: true });
  fs.writeFileSync(
    SETTINGS_FILE,
    JSON.stringify({
      models: {
        chat: { provider: "stub", name: "stub-chat" },
        // The offline provider's concept embeddings: memories are searched by meaning too.
        embedding: { provider: "stub", name: "stub-embedding", baseUrl: `http://127.0.0.1:${STUB_PORT}/v1` },
      },
      speech: { tts: { provider: "stub", baseUrl: `http://127.0.0.1:${STUB_PORT}/v1` } },
    }),
  );
  // Keys as the settings panel stores them (so the key fields are editable in the tests).
  fs.writeFileSync(
    path.join(path.dirname(SETTINGS_FILE), "provider-keys.json"),
    JSON.stringify({ "models.chat": STUB_KEY, "models.embedding": STUB_KEY, "speech.tts": STUB_KEY }),
    { mode: 0o600 },
  );
  fs.writeFileSync(MICROPHONE_WAV, wavTone(2, 440, 48_000));
  fs.writeFileSync(VOICE_WAV, spokenWav(VOICE_PHRASE, 2, 30));
  fs.rmSync(path.dirname(FIRST_RUN_SETTINGS), { recursive: true, force: true });
  fs.mkdirSync(path.dirname(FIRST_RUN_SETTINGS), { recursive: true });
}

/** A production gateway on `port` with the test configuration and `env` on top. */
function gateway(port: number, env: Record<string, string>) {
  return {
    command: "npx tsx server/index.ts",
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "pipe" as const,
    stderr: "pipe" as const,
    env: {
      NODE_ENV: "production",
      PORT: String(port),
      SOMA_SERVER_PUBLIC_URL: `http://127.0.0.1:${port}`,
      SOMA_BUS_TRANSPORT: "bullmq",
      // One process per gateway (several on one port: tests/int/scale-out.int.test.ts).
      SOMA_GATEWAY_PROCESSES: "1",
      ...env,
    },
  };
}

/** Debian's Chromium with a fake microphone playing `wav` and no permission prompt. */
function chromium(wav: string, extra: string[] = []) {
  return {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${wav}`,
      "--use-fake-ui-for-media-stream",
      ...extra,
    ],
  };
}

export default defineConfig({
  testDir: "e2e",
  forbidOnly: CI,
  retries: 0,
  workers: 1,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    { name: "app", testIgnore: /voice\.spec\.ts$/, use: { launchOptions: chromium(MICROPHONE_WAV) } },
    // Its own microphone (a spoken question, played once) and WebRTC on loopback only.
    {
      name: "voice",
      testMatch: /voice\.spec\.ts$/,
      use: {
        launchOptions: chromium(`${VOICE_WAV}%noloop`, [
          "--allow-loopback-in-peer-connection",
          "--autoplay-policy=no-user-gesture-required",
        ]),
      },
    },
  ],
  webServer: [
    {
      command: `npx tsx server/offline-provider/main.ts --port ${STUB_PORT} --api-key ${STUB_KEY}`,
      url: `http://127.0.0.1:${STUB_PORT}/healthz`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      command: "npx tsx workers/tool-executor/index.ts",
      url: `http://127.0.0.1:${EXECUTOR_HEALTH_PORT}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "pipe",
      stderr: "pipe",
      env: {
        SOMA_EXECUTOR_HEALTH_PORT: String(EXECUTOR_HEALTH_PORT),
        SOMA_BUS_TRANSPORT: "bullmq",
        SOMA_SETTINGS_FILE: SETTINGS_FILE,
        SOMA_SETTINGS_SCOPE: SETTINGS_SCOPE,
      },
    },
    gateway(PORT, {
      SOMA_SETTINGS_FILE: SETTINGS_FILE,
      SOMA_SETTINGS_SCOPE: SETTINGS_SCOPE,
      SOMA_MODELS_CHAT_BASE_URL: `http://127.0.0.1:${STUB_PORT}/v1`,
      SOMA_WEBRTC_HOST: "127.0.0.1",
    }),
    {
      // Runs schedules' turns (e2e/schedules.spec.ts) with the main gateway's settings.
      command: "npx tsx workers/scheduler/index.ts",
      wait: { stdout: /"scheduler ready"/ },
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "pipe",
      stderr: "pipe",
      env: {
        NODE_ENV: "production",
        SOMA_BUS_TRANSPORT: "bullmq",
        SOMA_SETTINGS_FILE: SETTINGS_FILE,
        SOMA_MODELS_CHAT_BASE_URL: `http://127.0.0.1:${STUB_PORT}/v1`,
        SOMA_SCHEDULER_TICK_MS: "500",
        LOG_LEVEL: "info", // its "scheduler ready" line is what Playwright waits for
      },
    },
    {
      command: `npx tsx server/offline-provider/main.ts --port ${OFFLINE_PORT}`,
      url: `http://127.0.0.1:${OFFLINE_PORT}/healthz`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
    gateway(FIRST_RUN_PORT, {
      SOMA_SETTINGS_FILE: FIRST_RUN_SETTINGS,
      SOMA_SETTINGS_SCOPE: `${SETTINGS_SCOPE}-first-run`,
      SOMA_OFFLINE_BASE_URL: `http://127.0.0.1:${OFFLINE_PORT}/v1`,
      OPENAI_API_KEY: "", // whatever the machine has: a first run has no key
      SOMA_WEBRTC_HOST: "127.0.0.1", // tests connect only on loopback
    }),
  ],
});
