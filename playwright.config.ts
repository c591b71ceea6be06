// Playwright drives Debian's Chromium (no browser download) against a production build of the
// gateway started on its own port with the test configuration from scripts/test.sh.
import { defineConfig } from "@playwright/test";

const PORT = 3100;
const STUB_PORT = 3190; // the OpenAI-compatible test provider
const EXECUTOR_HEALTH_PORT = 3101;
const CI = Boolean(process.env.CI);

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
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: [
    {
      command: `npx tsx scripts/provider-stub.ts --port ${STUB_PORT}`,
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
      env: { SOMA_EXECUTOR_HEALTH_PORT: String(EXECUTOR_HEALTH_PORT), SOMA_BUS_TRANSPORT: "bullmq" },
    },
    {
      command: "npx tsx server/index.ts",
      url: `http://127.0.0.1:${PORT}/healthz`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: "pipe",
      stderr: "pipe",
      env: {
        NODE_ENV: "production",
        PORT: String(PORT),
        SOMA_SERVER_PUBLIC_URL: `http://127.0.0.1:${PORT}`,
        SOMA_BUS_TRANSPORT: "bullmq",
        SOMA_MODELS_CHAT_PROVIDER: "stub",
        SOMA_MODELS_CHAT_NAME: "stub-chat",
        SOMA_MODELS_CHAT_BASE_URL: `http://127.0.0.1:${STUB_PORT}/v1`,
      },
    },
  ],
});
