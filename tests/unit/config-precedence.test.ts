import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "@/lib/config";

const KEY = "models.chat.baseUrl";
let root: string;

function write(rel: string, text: string) {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

const TENANTS = (chatExtra: string) => `
tenants:
  default:
    name: Default
    budgets: { tokensDaily: 100, tokensMonthly: 1000 }
    rateLimits: { chatMessages: 1, voiceSessions: 1, toolInvocations: 1, authAttempts: 1 }
    models:
      allowed: [m1]
      chat: { provider: local${chatExtra} }
    limits: { maxSessions: 5, maxMessageBytes: 100 }
`;
const PROVIDERS = `
providers:
  openai: { label: OpenAI, baseUrl: "https://api.openai.com/v1", apiKeyEnv: OPENAI_API_KEY }
  local: { label: Local, baseUrl: "http://providers.example:1/v1", apiKeyEnv: LOCAL_KEY, keyRequired: false }
`;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "soma-config-"));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe("configuration precedence", () => {
  it("takes the same key from each of the five sources in order, and says which won", () => {
    write("conf/model_providers.yaml", PROVIDERS);
    write("conf/tenants.yaml", TENANTS(`, baseUrl: "http://tenant.example:3/v1"`));
    write(
      "tmp/settings.json",
      JSON.stringify({ models: { chat: { baseUrl: "http://settings.example:2/v1" } } }),
    );
    const env = { SOMA_MODELS_CHAT_BASE_URL: "http://env.example:1/v1" };

    const steps: [string, string][] = [];
    const record = (e: Record<string, string>) => {
      const c = loadConfig({ root, env: e });
      steps.push([c.settings.models.chat.baseUrl, c.provenance[KEY]!.source]);
    };

    record(env);
    record({});
    fs.rmSync(path.join(root, "tmp/settings.json"));
    record({});
    write("conf/tenants.yaml", TENANTS(""));
    record({});
    fs.rmSync(path.join(root, "conf/model_providers.yaml"));
    record({});

    expect(steps).toEqual([
      ["http://env.example:1/v1", "env"],
      ["http://settings.example:2/v1", "settings"],
      ["http://tenant.example:3/v1", "tenant"],
      ["http://providers.example:1/v1", "providers"],
      ["https://api.openai.com/v1", "default"],
    ]);
  });

  it("falls back to the code default when no file names the key", () => {
    write(
      "conf/model_providers.yaml",
      `providers:\n  openai: { label: OpenAI, baseUrl: "https://api.openai.com/v1", apiKeyEnv: OPENAI_API_KEY }\n`,
    );
    write("conf/tenants.yaml", TENANTS("").replace("provider: local", "provider: openai"));
    const c = loadConfig({ root, env: {} });
    expect(c.settings.agent.maxSteps).toBe(25);
    expect(c.provenance["agent.maxSteps"]).toEqual({ source: "default", origin: "code defaults" });
  });

  it("names the variable that set a value, and accepts conventional aliases", () => {
    write("conf/model_providers.yaml", PROVIDERS);
    write("conf/tenants.yaml", TENANTS(""));
    const c = loadConfig({
      root,
      env: { PORT: "4123", SOMA_KAFKA_BROKERS: "a:1, b:2", SOMA_SERVER_UI: "false" },
    });
    expect(c.settings.server.port).toBe(4123);
    expect(c.provenance["server.port"]!.origin).toBe("environment variable PORT");
    expect(c.settings.kafka.brokers).toEqual(["a:1", "b:2"]);
    expect(c.settings.server.ui).toBe(false);
    expect(c.envNames["server.port"]).toEqual(["SOMA_SERVER_PORT", "PORT"]);
  });
});

describe("configuration errors", () => {
  const problemsOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).problems;
    }
    throw new Error("expected a ConfigError");
  };

  it("reports malformed YAML with the file and position", () => {
    write("conf/model_providers.yaml", PROVIDERS);
    write("conf/tenants.yaml", "tenants:\n  default:\n    name: [unclosed\n");
    const problems = problemsOf(() => loadConfig({ root, env: {} }));
    expect(problems[0]!.origin).toBe(path.join("conf", "tenants.yaml"));
    expect(problems[0]!.key).toMatch(/^line \d+, column \d+$/);
  });

  it("reports an invalid value with the file, the key and the reason", () => {
    write("conf/model_providers.yaml", PROVIDERS);
    write("conf/tenants.yaml", TENANTS("").replace("tokensDaily: 100", 'tokensDaily: "lots"'));
    const [p] = problemsOf(() => loadConfig({ root, env: {} }));
    expect(p).toMatchObject({
      origin: path.join("conf", "tenants.yaml"),
      key: "tenants.default.budgets.tokensDaily",
    });
    expect(p!.reason).toMatch(/number/i);
  });

  it("reports unknown keys instead of ignoring typos", () => {
    write("conf/model_providers.yaml", PROVIDERS);
    write("conf/tenants.yaml", TENANTS(""));
    write("tmp/settings.json", JSON.stringify({ agent: { maxStep: 3 } }));
    const [p] = problemsOf(() => loadConfig({ root, env: {} }));
    expect(p).toEqual({
      origin: path.join("tmp", "settings.json"),
      key: "agent.maxStep",
      reason: "unknown setting",
    });
  });

  it("reports a bad environment value by variable name", () => {
    write("conf/model_providers.yaml", PROVIDERS);
    write("conf/tenants.yaml", TENANTS(""));
    const problems = problemsOf(() =>
      loadConfig({ root, env: { PORT: "eighty", SOMA_MODELS_CHAT_TEMPERATURE: "7" } }),
    );
    expect(problems).toContainEqual({
      origin: "environment variable PORT",
      key: "server.port",
      reason: '"eighty" is not a number',
    });
    const temp = problemsOf(() => loadConfig({ root, env: { SOMA_MODELS_CHAT_TEMPERATURE: "7" } }));
    expect(temp[0]).toMatchObject({
      origin: "environment variable SOMA_MODELS_CHAT_TEMPERATURE",
      key: "models.chat.temperature",
    });
  });

  it("reports a provider that no file defines, naming who chose it", () => {
    write("conf/model_providers.yaml", PROVIDERS);
    write("conf/tenants.yaml", TENANTS(""));
    write("tmp/settings.json", JSON.stringify({ models: { utility: { provider: "nowhere" } } }));
    const [p] = problemsOf(() => loadConfig({ root, env: {} }));
    expect(p).toMatchObject({ origin: path.join("tmp", "settings.json"), key: "models.utility.provider" });
    expect(p!.reason).toContain('unknown provider "nowhere"');
  });

  it("reports invalid JSON in the settings file", () => {
    write("conf/model_providers.yaml", PROVIDERS);
    write("conf/tenants.yaml", TENANTS(""));
    write("tmp/settings.json", "{ not json");
    const [p] = problemsOf(() => loadConfig({ root, env: {} }));
    expect(p!.origin).toBe(path.join("tmp", "settings.json"));
    expect(p!.reason).toMatch(/not valid JSON/);
  });

  it("loads the shipped conf/ files as they are", () => {
    const c = loadConfig({ root: path.resolve(import.meta.dirname, "../.."), env: {} });
    expect(Object.keys(c.providers)).toEqual(
      expect.arrayContaining([
        "openai",
        "azure-openai",
        "ollama",
        "lmstudio",
        "vllm",
        "openrouter",
        "groq",
        "other",
      ]),
    );
    expect(c.tenants.default?.budgets.tokensDaily).toBeGreaterThan(0);
  });
});
