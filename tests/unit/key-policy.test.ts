// Where provider keys may go: named key variables only, an environment key only to the address its
// source pairs it with, and no test connection to link-local or metadata addresses (pure checks).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "@/lib/config";
import { envKeyMayGoTo, forbiddenAddress, keyVariableAllowed, sameAddress } from "@/lib/settings/key-policy";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "soma-keys-"));
fs.mkdirSync(path.join(root, "conf"));
fs.copyFileSync(
  path.resolve(import.meta.dirname, "../../conf/model_providers.yaml"),
  path.join(root, "conf/model_providers.yaml"),
);

describe("key variables", () => {
  const { providers } = loadConfig({ root, env: {} });
  it("are the providers' own or SOMA_PROVIDER_KEY_*", () => {
    expect(keyVariableAllowed("OPENAI_API_KEY", providers)).toBe(true);
    expect(keyVariableAllowed("SOMA_PROVIDER_KEY_MY_LAB", providers)).toBe(true);
    for (const name of ["DATABASE_URL", "REDIS_URL", "SOMA_SESSION_SECRET", "HOME", "SOMA_PROVIDER_KEY_"])
      expect(keyVariableAllowed(name, providers)).toBe(false);
  });
});

describe("an environment key", () => {
  it("goes to the address the providers file pairs it with, however the URL is written", () => {
    const c = loadConfig({ root, env: { OPENAI_API_KEY: "sk-x" } });
    expect(envKeyMayGoTo(c, "models.chat", "OPENAI_API_KEY", "https://API.openai.com/v1/")).toBe(true);
    expect(envKeyMayGoTo(c, "models.chat", "OPENAI_API_KEY", "http://127.0.0.1:9/v1")).toBe(false);
    expect(envKeyMayGoTo(c, "models.chat", "GROQ_API_KEY", "https://api.openai.com/v1")).toBe(false);
  });
  it("goes to an address the environment itself set", () => {
    const c = loadConfig({ root, env: { SOMA_MODELS_CHAT_BASE_URL: "https://my-azure.example/openai/v1" } });
    expect(
      envKeyMayGoTo(c, "models.chat", "AZURE_OPENAI_API_KEY", "https://my-azure.example/openai/v1"),
    ).toBe(true);
    expect(envKeyMayGoTo(c, "speech.tts", "AZURE_OPENAI_API_KEY", "https://my-azure.example/openai/v1")).toBe(
      false,
    );
  });
  it("compares addresses by scheme, host and path", () => {
    expect(sameAddress("https://a.example/v1/", "https://A.EXAMPLE/v1")).toBe(true);
    expect(sameAddress("https://a.example/v1", "http://a.example/v1")).toBe(false);
    expect(sameAddress("https://a.example/v1", "https://a.example.evil/v1")).toBe(false);
  });
});

describe("forbidden addresses", () => {
  it("are link-local and cloud metadata addresses, in any spelling", () => {
    for (const a of [
      "169.254.169.254",
      "169.254.0.1",
      "::ffff:169.254.169.254",
      "fe80::1",
      "[fe80::1]",
      "fd00:ec2::254",
      "fd00:0ec2:0:0:0:0:0:254",
    ])
      expect(forbiddenAddress(a), a).toBe(true);
    for (const a of [
      "127.0.0.1",
      "10.0.0.1",
      "192.168.1.1",
      "::1",
      "2001:db8::1",
      "fd00:ec2::253",
      "170.254.1.1",
    ])
      expect(forbiddenAddress(a), a).toBe(false);
  });
});
