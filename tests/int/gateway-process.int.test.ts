// The real gateway process (production build): serves, then on SIGTERM finishes the request in
// flight, stops accepting, closes its clients and exits 0.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sign, SIGNATURE_HEADER, TIMESTAMP_HEADER } from "@/lib/executor/callback-signature";
import { freePort, startProcess, stopProcess, waitUntil } from "../helpers/services";

const CALLBACK_SECRET = `cb-${Date.now()}-secret`;
let gateway: ReturnType<typeof startProcess>;
let base: string;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // node --import tsx, not npx: signals must reach the gateway itself, not a wrapper.
  gateway = startProcess("node", ["--import", "tsx", "server/index.ts"], {
    NODE_ENV: "production",
    PORT: String(port),
    LOG_LEVEL: "info",
    SOMA_INTERNAL_CALLBACK_SECRET: CALLBACK_SECRET,
  });
  await waitUntil(async () => (await fetch(`${base}/healthz`)).ok, 60_000, "the gateway to listen");
});

afterAll(async () => {
  await stopProcess(gateway);
});

describe("gateway process", () => {
  it("serves the UI page and a JSON 401 from one port", async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("SomaAgent");
    const api = await fetch(`${base}/api/v1/me`);
    expect(api.status).toBe(401);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
  });

  it("accepts tool-result callbacks only with a valid signature", async () => {
    const body = JSON.stringify({
      version: 1,
      toolCallId: randomUUID(),
      sessionId: randomUUID(),
      status: "succeeded",
      output: { text: "x" },
      finishedAt: new Date().toISOString(),
    });
    const post = (headers: Record<string, string>) =>
      fetch(`${base}/api/internal/tool-results`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
    const unsigned = await post({});
    expect(unsigned.status).toBe(401);
    expect(((await unsigned.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    const ts = Math.floor(Date.now() / 1000);
    expect(
      (await post({ [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: sign("wrong-secret", body, ts) }))
        .status,
    ).toBe(401);
    expect(
      (await post({ [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: sign(CALLBACK_SECRET, body, ts) }))
        .status,
    ).toBe(204);
  });

  it("logs JSON lines carrying a request id", async () => {
    await fetch(`${base}/readyz`, { headers: { "x-request-id": "test-req-123" } });
    await waitUntil(
      async () => gateway.output().includes('"requestId":"test-req-123"'),
      5_000,
      "the request log line",
    );
    const line = gateway
      .output()
      .split("\n")
      .find((l) => l.includes('"requestId":"test-req-123"'))!;
    expect(JSON.parse(line)).toMatchObject({ path: "/readyz", requestId: "test-req-123", msg: "request" });
  });

  it("on SIGTERM finishes the request in flight, then exits 0", async () => {
    const inFlight = fetch(`${base}/readyz`);
    await new Promise((r) => setTimeout(r, 5));
    const exited = new Promise<number | null>((resolve) => gateway.once("exit", (code) => resolve(code)));
    gateway.kill("SIGTERM");
    const res = await inFlight;
    expect([200, 503]).toContain(res.status); // answered, not dropped
    expect(await exited).toBe(0);
    expect(gateway.output()).toContain('"msg":"stopped"');
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
