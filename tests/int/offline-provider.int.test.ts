// A first run with no provider key, against the real gateway and executor: the model roles fall back
// to the offline provider, whose demo model answers a plain request with a real tool; when it is
// gone, a turn fails with a sentence a person can act on, not a stack trace.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStubProvider, type StubServer } from "@/server/offline-provider/server";
import { createDb, type Db } from "@/lib/server/db";
import type { SessionEvent } from "@/lib/realtime/events";
import {
  client,
  postMessageSse,
  readSse,
  seedUser,
  startGateway,
  type GatewayProcess,
} from "../helpers/chat";
import { startExecutor, type ExecutorProcess } from "../helpers/executor";
import { settings, stopProcess } from "../helpers/services";

let offline: StubServer;
let executor: ExecutorProcess;
let gateway: GatewayProcess;
let base: string;
let db: Db;
let token: string;
let offlineRunning = false;

const turnEnd = (e: SessionEvent) => e.type === "turn.finished" || e.type === "turn.failed";

beforeAll(async () => {
  db = createDb(settings().database.url);
  offline = await startStubProvider();
  offlineRunning = true;
  // Nothing configured: no chat provider in the environment, no key, and an empty settings file.
  const firstRun = {
    SOMA_MODELS_CHAT_PROVIDER: "",
    SOMA_MODELS_CHAT_NAME: "",
    SOMA_MODELS_CHAT_BASE_URL: "",
    OPENAI_API_KEY: "",
    SOMA_SETTINGS_FILE: `${process.cwd()}/tmp/test/offline-first-run/settings.json`,
    SOMA_OFFLINE_BASE_URL: offline.url,
  };
  [executor, { gateway, base }] = await Promise.all([
    startExecutor("bullmq"),
    startGateway(offline, firstRun),
  ]);
  token = (await seedUser(db)).token;
}, 120_000);

afterAll(async () => {
  await Promise.all([gateway && stopProcess(gateway), executor && stopProcess(executor)]);
  if (offlineRunning) await offline.close();
  await db?.$disconnect();
});

describe("the offline demo model on a first run", () => {
  it("is the model every unconfigured role uses, and says so", async () => {
    const res = await client(base, token).get("/api/v1/models");
    expect(res.json.chat).toMatchObject({
      configured: true,
      provider: "offline",
      model: "offline-demo",
      offline: true,
    });
    expect(res.json.embedding).toMatchObject({ provider: "offline", offline: true });
    expect(res.json.voice).toEqual({ usable: true, offline: true });
  });

  it("answers arithmetic by running code_execution in the sandbox", async () => {
    const id = await client(base, token).newSession();
    const { events } = await readSse(await postMessageSse(base, token, id, "what is 6 times 7"), turnEnd);
    const tool = events.find((e) => e.type === "tool.finished");
    expect(tool).toMatchObject({ tool: "code_execution", status: "succeeded", result: { stdout: "42\n" } });
    const answer = events.find((e) => e.type === "message.completed");
    expect(answer).toMatchObject({ content: expect.stringContaining("= 42") as string });
    expect(events.at(-1)?.type).toBe("turn.finished");
  });

  it("fails a turn readably when the offline provider is gone", async () => {
    await offline.close();
    offlineRunning = false;
    const id = await client(base, token).newSession();
    const { events } = await readSse(await postMessageSse(base, token, id, "hello"), turnEnd);
    const failed = events.at(-1) as Extract<SessionEvent, { type: "turn.failed" }>;
    expect(failed).toMatchObject({ type: "turn.failed", code: "offline_unavailable" });
    expect(failed.reason).toMatch(/^The offline model is unavailable/);
    expect(failed.reason).toContain("make dev-up");
    expect(failed.reason).not.toMatch(/\n\s+at |ECONNREFUSED|Error:/);
  });
});
