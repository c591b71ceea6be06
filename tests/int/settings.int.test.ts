// The settings API against real gateway processes: the five sources and their precedence as the API
// reports them, locked fields, validation that leaves tmp/settings.json untouched, API keys that
// never come back, a change on one gateway in effect on another within a second, the compatibility
// paths, and "test connection" against the test provider.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStubProvider, type StubServer } from "@/server/offline-provider/server";
import { createDb } from "@/lib/server/db";
import {
  client,
  postMessageSse,
  readSse,
  seedUser,
  startGateway,
  startGatewayPair,
  type GatewayProcess,
  type TestUser,
} from "../helpers/chat";
import { ROOT, freePort, settings, stopProcess } from "../helpers/services";

const STUB_KEY = "stub-key-for-settings-tests";
const SECRET = "sk-settings-test-0123456789abcdef";
const db = createDb(settings().database.url);
let stub: StubServer;
let dir: string;
let settingsFile: string;
let a: { gateway: GatewayProcess; base: string };
let b: { gateway: GatewayProcess; base: string };
let admin: TestUser;
let member: TestUser;
let outsider: TestUser;

interface Field {
  value?: unknown;
  set?: boolean;
  source: string | null;
  locked: boolean;
  lockedBy?: string;
}
type View = { fields: Record<string, Field>; providers: Record<string, unknown> };

let confDir: string;

/** Gateways on the fixture conf, chat model settings not in the environment, one settings file. */
function env(extra: Record<string, string> = {}) {
  return {
    SOMA_CONF_DIR: confDir,
    SOMA_SETTINGS_FILE: settingsFile,
    SOMA_MODELS_CHAT_PROVIDER: "",
    SOMA_MODELS_CHAT_NAME: "",
    SOMA_MODELS_CHAT_BASE_URL: "",
    SOMA_STUB_API_KEY: STUB_KEY,
    ...extra,
  };
}

beforeAll(async () => {
  stub = await startStubProvider({ apiKey: STUB_KEY });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "soma-settings-"));
  settingsFile = path.join(dir, "settings.json");
  // The fixture conf, with the test provider at its random port: the providers file is what pairs
  // SOMA_STUB_API_KEY with that address (an environment key goes nowhere else).
  confDir = path.join(dir, "conf");
  fs.cpSync(path.join(ROOT, "tests/fixtures/settings-conf"), confDir, { recursive: true, dereference: true });
  // The copy may still be a link to the repository's conf (cpSync keeps links inside a tree on
  // some Node versions): replace it with a file, never write through it.
  const providersFile = path.join(confDir, "model_providers.yaml");
  const providers = fs.readFileSync(providersFile, "utf8");
  fs.rmSync(providersFile);
  fs.writeFileSync(
    providersFile,
    providers.replace(/(\n {2}stub:\n(?: {4}.*\n)*? {4}baseUrl: ).*/, `$1${stub.url}`),
  );
  // The test provider listens on a random port: its address is the one thing set beforehand.
  fs.writeFileSync(settingsFile, JSON.stringify({ models: { chat: { baseUrl: stub.url } } }));
  [a, b] = await startGatewayPair(stub, env);
  admin = await seedUser(db, "admin", "default");
  member = await seedUser(db, "member", "default");
  outsider = await seedUser(db, "admin");
}, 120_000);

afterAll(async () => {
  await Promise.all([a && stopProcess(a.gateway), b && stopProcess(b.gateway)]);
  await stub?.close();
  await db.$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

const view = async (base: string, token = admin.token) =>
  (await client(base, token).get("/api/v1/settings")).json as unknown as View;

describe("GET /api/v1/settings", () => {
  it("reports every field's value and the source that set it", async () => {
    const { fields, providers } = await view(a.base);
    expect(fields["models.chat.temperature"]).toMatchObject({ value: 0.4, source: "tenant", locked: false });
    expect(fields["models.chat.provider"]).toMatchObject({ value: "stub", source: "tenant" });
    expect(fields["models.chat.baseUrl"]).toMatchObject({ value: stub.url, source: "settings" });
    expect(fields["models.chat.apiKeyEnv"]).toMatchObject({
      value: "SOMA_STUB_API_KEY",
      source: "providers",
    });
    expect(fields["models.chat.contextLength"]).toMatchObject({ value: 128000, source: "default" });
    expect(fields["speech.tts.voice"]).toMatchObject({ value: "alloy", source: "providers" });
    expect(fields["models.chat.apiKey"]).toEqual({
      set: true,
      source: "env",
      origin: "environment variable SOMA_STUB_API_KEY",
      locked: true,
      lockedBy: "SOMA_STUB_API_KEY",
    });
    expect(Object.keys(providers)).toEqual(expect.arrayContaining(["openai", "stub", "ollama", "speaches"]));
    expect(JSON.stringify(await view(a.base))).not.toContain(STUB_KEY);
    // Members may read values and sources, not paths, variable names, which keys are set or the
    // system prompt; the compatibility path answers the same.
    const read = await client(a.base, member.token).get("/api/v1/settings");
    expect(read.status).toBe(200);
    const memberFields = (read.json as unknown as View).fields;
    expect(memberFields["models.chat.baseUrl"]).toEqual({
      value: stub.url,
      source: "settings",
      origin: null,
      locked: false,
    });
    expect(memberFields["models.chat.apiKey"]).toEqual({ source: "env", origin: null, locked: true });
    expect(memberFields["agent.systemPrompt"]!.value).toBeNull();
    expect(JSON.stringify(read.json)).not.toMatch(/settings\.json|environment variable/);
    const compat = await client(a.base, admin.token).get("/settings_get");
    expect(compat.status).toBe(200);
    expect(compat.json).toEqual(await view(a.base));
  });
});

describe("PUT /api/v1/settings", () => {
  it("overrides the tenant's value, and a change on one gateway is in effect on the other within a second", async () => {
    const started = Date.now();
    const r = await client(a.base, admin.token).put("/api/v1/settings", {
      models: { chat: { temperature: 0.9, params: '{"top_p":0.5}' } },
    });
    expect(r.status).toBe(200);
    expect((r.json as unknown as View).fields["models.chat.temperature"]).toMatchObject({
      value: 0.9,
      source: "settings",
    });
    let seenOnB = -1;
    while (Date.now() - started < 1000) {
      if ((await view(b.base)).fields["models.chat.temperature"]?.value === 0.9) {
        seenOnB = Date.now() - started;
        break;
      }
      await new Promise((res) => setTimeout(res, 25));
    }
    expect(seenOnB).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(fs.readFileSync(settingsFile, "utf8"))).toEqual({
      models: { chat: { baseUrl: stub.url, temperature: 0.9, params: '{"top_p":0.5}' } },
    });
  });

  it("is what the next turn uses, on every gateway, without a restart", async () => {
    const api = client(a.base, admin.token);
    expect((await api.put("/api/v1/settings", { models: { chat: { name: "stub-renamed" } } })).status).toBe(
      200,
    );
    const sessionId = await client(b.base, admin.token).newSession();
    const before = stub.requests.length;
    const done = await readSse(
      await postMessageSse(b.base, admin.token, sessionId, "which model?"),
      (e) => e.type === "turn.finished" || e.type === "turn.failed",
    );
    expect(done.events.at(-1)?.type).toBe("turn.finished");
    expect(stub.requests.slice(before).map((q) => q.model)).toContain("stub-renamed");
  });

  it("refuses a field an environment variable locks, naming the variable", async () => {
    const c = await startGateway(stub, env({ SOMA_MODELS_CHAT_TEMPERATURE: "1.1" }));
    try {
      const fields = (await view(c.base)).fields;
      expect(fields["models.chat.temperature"]).toMatchObject({
        value: 1.1,
        source: "env",
        locked: true,
        lockedBy: "SOMA_MODELS_CHAT_TEMPERATURE",
      });
      const before = fs.readFileSync(settingsFile, "utf8");
      const r = await client(c.base, admin.token).put("/api/v1/settings", {
        models: { chat: { temperature: 0.1 } },
      });
      expect(r.status).toBe(409);
      expect(r.json.error?.details).toEqual([
        {
          field: "models.chat.temperature",
          message:
            "locked by the environment variable SOMA_MODELS_CHAT_TEMPERATURE; unset it to change this here",
        },
      ]);
      const key = await client(c.base, admin.token).put("/api/v1/settings", {
        models: { chat: { apiKey: "x-y" } },
      });
      expect(key.status).toBe(409);
      expect(JSON.stringify(key.json)).toContain("SOMA_STUB_API_KEY");
      expect(fs.readFileSync(settingsFile, "utf8")).toBe(before);
    } finally {
      await stopProcess(c.gateway);
    }
  });

  it("refuses invalid values with the field named and leaves the file as it was", async () => {
    const api = client(a.base, admin.token);
    const before = fs.readFileSync(settingsFile, "utf8");
    const cases: [unknown, string][] = [
      [{ models: { chat: { temperature: -1 } } }, "models.chat.temperature"],
      [{ models: { chat: { provider: "nope" } } }, "models.chat.provider"],
      [{ models: { utility: { baseUrl: "not a url" } } }, "models.utility.baseUrl"],
      [{ speech: { tts: { speed: 9 } } }, "speech.tts.speed"],
      [{ models: { chat: { params: "[1,2]" } } }, "models.chat.params"],
      [{ server: { port: 1 } }, "server.port"],
      [{ agent: { maxSteps: "ten" } }, "agent.maxSteps"],
    ];
    for (const [body, field] of cases) {
      const r = await api.put("/api/v1/settings", body);
      expect(r.status, field).toBe(400);
      expect((r.json.error?.details as { field: string }[]).map((d) => d.field)).toEqual([field]);
    }
    const huge = await fetch(`${a.base}/api/v1/settings`, {
      method: "PUT",
      headers: { authorization: `Bearer ${admin.token}`, "content-type": "application/json" },
      body: JSON.stringify({ agent: { systemPrompt: "x".repeat(10 * 1024 * 1024) } }),
    });
    expect(huge.status).toBe(413);
    expect((await api.put("/api/v1/settings", "{not json")).status).toBe(400);
    expect((await api.put("/api/v1/settings", {})).status).toBe(400);
    expect(fs.readFileSync(settingsFile, "utf8")).toBe(before);
  });

  it("is for the deployment's admins only", async () => {
    const body = { agent: { maxSteps: 7 } };
    const m = await client(a.base, member.token).put("/api/v1/settings", body);
    expect(m.status).toBe(403);
    const o = await client(a.base, outsider.token).put("/api/v1/settings", body);
    expect(o.status).toBe(403);
    expect(o.json.error?.message).toMatch(/only admins of the "default" organisation/);
  });
});

describe("API keys", () => {
  it("are stored apart, reported only as set, and never appear in a response, a log line or an audit row", async () => {
    const api = client(a.base, admin.token);
    const r = await api.put("/api/v1/settings", { speech: { tts: { apiKey: SECRET } } });
    expect(r.status).toBe(200);
    expect((r.json as unknown as View).fields["speech.tts.apiKey"]).toMatchObject({
      set: true,
      source: "settings",
    });
    const compat = await client(a.base, admin.token).post("/settings_set", {
      speech: { stt: { apiKey: SECRET } },
    });
    expect(compat.status).toBe(200);
    const responses = JSON.stringify([r.json, compat.json, await view(a.base), await view(b.base)]);
    expect(responses).not.toContain(SECRET);

    const keysFile = path.join(dir, "provider-keys.json");
    expect(fs.statSync(keysFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(keysFile, "utf8"))).toEqual({
      "speech.tts": SECRET,
      "speech.stt": SECRET,
    });
    expect(fs.readFileSync(settingsFile, "utf8")).not.toContain(SECRET);

    const audit = await db.auditLog.findMany({
      where: { action: "settings.update", tenantId: admin.tenantId },
      orderBy: { id: "asc" },
    });
    expect(audit.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(audit.map((x) => x.details))).not.toContain(SECRET);
    expect(audit.at(-1)?.details).toEqual({
      changes: [{ key: "speech.stt.apiKey", before: "[not set]", after: "[set]" }],
    });
    expect(a.gateway.output() + b.gateway.output()).not.toContain(SECRET);
  });

  it("are forgotten when their group moves to another address, unless a new key comes along", async () => {
    const api = client(a.base, admin.token);
    const moved = await api.put("/api/v1/settings", {
      speech: { tts: { baseUrl: "https://tts.example.test/v1" } },
    });
    expect(moved.status).toBe(200);
    expect((moved.json as unknown as View).fields["speech.tts.apiKey"]).toMatchObject({
      set: false,
      source: null,
    });
    expect((moved.json as unknown as View).fields["speech.stt.apiKey"]).toMatchObject({ set: true });
    const withKey = await api.put("/api/v1/settings", {
      speech: { stt: { baseUrl: "https://stt.example.test/v1", apiKey: "sk-new-key-for-stt-0123" } },
    });
    expect((withKey.json as unknown as View).fields["speech.stt.apiKey"]).toMatchObject({ set: true });
    expect(JSON.parse(fs.readFileSync(path.join(dir, "provider-keys.json"), "utf8"))).toEqual({
      "speech.stt": "sk-new-key-for-stt-0123",
    });
  });
});

describe("POST /api/v1/settings/test", () => {
  const test = (body: unknown) => client(a.base, admin.token).post("/api/v1/settings/test", body);

  it("reports success with latency for chat, embedding, speech-to-text, text-to-speech and realtime", async () => {
    for (const target of ["models.chat", "models.embedding", "speech.stt", "speech.tts", "speech.realtime"]) {
      const r = await test({ target, provider: "stub", baseUrl: stub.url, apiKey: STUB_KEY });
      expect(r.status).toBe(200);
      expect(r.json, target).toMatchObject({ ok: true, latencyMs: expect.any(Number) as number });
      expect(r.json.message).toMatch(
        /^Connected: SomaAgent test provider \(offline\) answered with stub-\w+ in \d+ ms\.$/,
      );
    }
  });

  it("tests realtime by minting a client secret, which it never shows", async () => {
    const control = stub.url.replace(/\/v1$/, "");
    await fetch(`${control}/__stub/requests`, { method: "DELETE" });
    const ok = await test({
      target: "speech.realtime",
      provider: "stub",
      baseUrl: stub.url,
      apiKey: STUB_KEY,
    });
    expect(ok.json).toMatchObject({ ok: true });
    expect(JSON.stringify(ok.json)).not.toMatch(/ek_/);
    const seen = (await (await fetch(`${control}/__stub/requests`)).json()) as {
      requests: { path: string }[];
    };
    expect(seen.requests.map((r) => r.path)).toContain("/v1/realtime/client_secrets");
    await fetch(`${control}/__stub/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ path: "/v1/realtime/client_secrets", status: 500, count: 1 }),
    });
    const failed = await test({
      target: "speech.realtime",
      provider: "stub",
      baseUrl: stub.url,
      apiKey: STUB_KEY,
    });
    expect(failed.json).toMatchObject({ ok: false, code: "provider_error" });
  });

  it("says in plain words when the key is wrong, the model unknown or the host unreachable", async () => {
    const bad = await test({ target: "models.chat", provider: "stub", baseUrl: stub.url, apiKey: "wrong" });
    expect(bad.json).toMatchObject({
      ok: false,
      code: "unauthorized",
      message: "The provider refused the API key (401). Check the key.",
    });
    const model = await test({
      target: "models.chat",
      baseUrl: stub.url,
      model: "no-such-model",
      apiKey: STUB_KEY,
    });
    expect(model.json).toMatchObject({ ok: false, code: "unknown_model" });
    expect(model.json.message).toContain('"no-such-model"');
    const port = await freePort();
    const down = await test({ target: "models.chat", baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: "x" });
    expect(down.json).toMatchObject({ ok: false, code: "unreachable" });
    expect(down.json.message).toBe(
      `Nothing is listening at 127.0.0.1:${port} (connection refused). Is the server running?`,
    );
  });

  it("sends the configured key to the saved address only", async () => {
    const saved = await test({ target: "models.chat" });
    expect(saved.json).toMatchObject({ ok: true, baseUrl: stub.url });
    const elsewhere = await test({
      target: "models.chat",
      baseUrl: stub.url.replace("127.0.0.1", "localhost"),
    });
    expect(elsewhere.json).toMatchObject({ ok: false, code: "unauthorized" }); // sent without the key
  });
});

describe("where keys may go", () => {
  // A loopback listener that records what it is sent and answers every request with an error body.
  let listener: import("node:http").Server;
  let listenerUrl: string;
  const seen: { authorization?: string }[] = [];
  beforeAll(async () => {
    const http = await import("node:http");
    listener = http.createServer((req, res) => {
      seen.push({ authorization: req.headers.authorization });
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "internal detail from a private service" } }));
    });
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
    listenerUrl = `http://127.0.0.1:${(listener.address() as import("node:net").AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    await new Promise((r) => listener?.close(r));
  });

  it("refuses a key variable that is not a provider's (DATABASE_URL), naming the field", async () => {
    const r = await client(a.base, admin.token).put("/api/v1/settings", {
      models: { chat: { apiKeyEnv: "DATABASE_URL" } },
    });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ details: [{ field: "models.chat.apiKeyEnv" }] });
    expect((r.json.error as { details: { message: string }[] }).details[0]!.message).toContain(
      "SOMA_PROVIDER_KEY_",
    );
  });

  it("sends no environment key to an address an admin moved the chat model to", async () => {
    const api = client(a.base, admin.token);
    const moved = await api.put("/api/v1/settings", { models: { chat: { baseUrl: listenerUrl } } });
    expect(moved.status).toBe(200);
    // The key field is no longer locked by the variable: a key for this address can be entered.
    expect((moved.json as unknown as View).fields["models.chat.apiKey"]).toMatchObject({
      set: false,
      locked: false,
    });
    const sessionId = await api.newSession();
    await readSse(
      await postMessageSse(a.base, admin.token, sessionId, "hello"),
      (e) => e.type === "turn.finished" || e.type === "turn.failed",
    );
    const probe = await client(a.base, admin.token).post("/api/v1/settings/test", { target: "models.chat" });
    expect(seen.length).toBeGreaterThan(0);
    for (const s of seen) expect(s.authorization ?? "").not.toContain(STUB_KEY);
    // Nor is a private service's error text echoed back through the panel.
    expect(probe.json).toMatchObject({
      ok: false,
      code: "provider_error",
      message: "The server answered 500.",
    });
    expect((await api.put("/api/v1/settings", { models: { chat: { baseUrl: stub.url } } })).status).toBe(200);
  });
});
