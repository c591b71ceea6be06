// The offline demo model is the fallback of a model role only when nothing else can answer and
// nobody chose a provider; a key, a chosen provider or an environment lock always wins.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "@/lib/config";
import { decideOfflineFallback, type FallbackInput } from "@/lib/config/offline-fallback";

const OFFLINE = "http://127.0.0.1:18090/v1";
const base: FallbackInput = {
  offlineBaseUrl: OFFLINE,
  sources: { provider: "default", name: "providers", baseUrl: "providers", apiKeyEnv: "providers" },
  keyRequired: true,
  keyAvailable: false,
};

describe("decideOfflineFallback", () => {
  it("falls back when the key is absent and the provider is nobody's choice", () => {
    expect(decideOfflineFallback(base)).toEqual({ fallback: true });
  });
  it("does not when a key is present", () => {
    expect(decideOfflineFallback({ ...base, keyAvailable: true })).toEqual({
      fallback: false,
      why: "usable",
    });
  });
  it("does not when the provider needs no key (a local model)", () => {
    expect(decideOfflineFallback({ ...base, keyRequired: false })).toMatchObject({ fallback: false });
  });
  it("does not when a person chose the provider (settings, tenants.yaml)", () => {
    for (const source of ["settings", "tenant"] as const)
      expect(decideOfflineFallback({ ...base, sources: { ...base.sources, provider: source } })).toEqual({
        fallback: false,
        why: "chosen",
      });
  });
  it("does not when any provider field is locked by the environment", () => {
    for (const field of ["provider", "name", "baseUrl", "apiKeyEnv"] as const)
      expect(decideOfflineFallback({ ...base, sources: { ...base.sources, [field]: "env" } })).toEqual({
        fallback: false,
        why: "chosen",
      });
  });
  it("never without an offline provider", () => {
    expect(decideOfflineFallback({ ...base, offlineBaseUrl: "" })).toEqual({
      fallback: false,
      why: "no offline provider",
    });
  });
});

describe("the configuration with an offline provider", () => {
  let root: string;
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "soma-offline-"));
    fs.mkdirSync(path.join(root, "conf"));
    fs.copyFileSync(
      path.resolve(import.meta.dirname, "../../conf/model_providers.yaml"),
      path.join(root, "conf/model_providers.yaml"),
    );
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));
  const load = (env: Record<string, string>) =>
    loadConfig({ root, env: { SOMA_OFFLINE_BASE_URL: OFFLINE, ...env } });

  it("points every unconfigured model role at it, labelled as the offline source", () => {
    const c = load({});
    expect(c.settings.models.chat).toMatchObject({
      provider: "offline",
      name: "offline-demo",
      baseUrl: OFFLINE,
    });
    expect(c.settings.models.embedding.name).toBe("offline-embedding");
    expect(c.provenance["models.chat.provider"]).toMatchObject({ source: "offline" });
    expect(c.provenance["models.chat.provider"]!.origin).toContain("no key for OpenAI");
    // Fields that do not choose a provider keep their own sources.
    expect(c.provenance["models.chat.temperature"]!.source).toBe("default");
  });

  it("serves speech-to-text and text-to-speech too, but not realtime speech", () => {
    const c = load({});
    expect(c.settings.speech.stt).toMatchObject({
      provider: "offline",
      model: "offline-stt",
      baseUrl: OFFLINE,
    });
    expect(c.settings.speech.tts).toMatchObject({ provider: "offline", model: "offline-tts" });
    expect(c.provenance["speech.tts.model"]!.source).toBe("offline");
    expect(c.settings.speech.realtime.provider).toBe("openai");
  });

  it("gives way to a key in the provider's variable", () => {
    const c = load({ OPENAI_API_KEY: "sk-test" });
    expect(c.settings.models.chat.provider).toBe("openai");
    expect(c.provenance["models.chat.provider"]!.source).toBe("default");
  });

  it("gives way to a key stored by the settings panel, for that role only", () => {
    write("tmp/provider-keys.json", JSON.stringify({ "models.chat": "sk-stored" }));
    const c = load({});
    expect(c.settings.models.chat.provider).toBe("openai");
    expect(c.settings.models.utility.provider).toBe("offline");
  });

  it("gives way to a provider chosen in the settings file, even one whose key is missing", () => {
    write("tmp/settings.json", JSON.stringify({ models: { chat: { provider: "groq" } } }));
    const c = load({});
    expect(c.settings.models.chat.provider).toBe("groq");
    expect(c.provenance["models.chat.provider"]!.source).toBe("settings");
  });

  it("gives way to a role locked by an environment variable", () => {
    const c = load({ SOMA_MODELS_CHAT_BASE_URL: "http://127.0.0.1:9/v1" });
    expect(c.settings.models.chat).toMatchObject({ provider: "openai", baseUrl: "http://127.0.0.1:9/v1" });
  });

  it("is off when no offline provider runs", () => {
    const c = loadConfig({ root, env: {} });
    expect(c.settings.models.chat.provider).toBe("openai");
  });

  it("refuses an offline address with no offline provider described", () => {
    write(
      "conf/model_providers.yaml",
      "providers:\n  openai: { label: OpenAI, baseUrl: 'https://api.openai.com/v1', apiKeyEnv: OPENAI_API_KEY }\n",
    );
    expect(() => load({})).toThrow(ConfigError);
    expect(() => load({})).toThrow(/offline\.baseUrl.*no "offline" provider/);
  });
});
