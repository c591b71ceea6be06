// conf/model_providers.yaml's ${NAME:-default}: the local speech engines' presets follow the address
// the gateway reaches them at (on the host, or by service name inside the compose network).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "@/lib/config";
import { interpolateEnv } from "@/lib/config/load";

const ROOT = path.resolve(import.meta.dirname, "../..");
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "soma-providers-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
const load = (env: Record<string, string>) =>
  loadConfig({ root: ROOT, env, settingsFile: path.join(dir, "settings.json") });

describe("environment references in the providers file", () => {
  it("keeps the host's published ports when nothing is set", () => {
    const config = load({ SOMA_SPEECH_STT_PROVIDER: "speaches", SOMA_SPEECH_TTS_PROVIDER: "kokoro" });
    expect(config.providers.speaches?.baseUrl).toBe("http://127.0.0.1:18000/v1");
    expect(config.settings.speech.stt.baseUrl).toBe("http://127.0.0.1:18000/v1");
    expect(config.settings.speech.tts.baseUrl).toBe("http://127.0.0.1:18880/v1");
  });

  it("takes the compose network's addresses from the environment", () => {
    const config = load({
      SOMA_SPEECH_STT_PROVIDER: "speaches",
      SOMA_SPEECH_TTS_PROVIDER: "kokoro",
      SPEACHES_BASE_URL: "http://speaches:8000/v1",
      KOKORO_BASE_URL: "http://kokoro:8880/v1",
    });
    expect(config.settings.speech.stt.baseUrl).toBe("http://speaches:8000/v1");
    expect(config.settings.speech.tts.baseUrl).toBe("http://kokoro:8880/v1");
    // Still the providers file's value: another provider chosen in the panel is not overridden.
    expect(config.provenance["speech.stt.baseUrl"]?.source).toBe("providers");
  });

  it("refuses a substituted value that is no URL, naming the file", () => {
    expect(() => load({ SPEACHES_BASE_URL: "speaches:8000" })).toThrow(ConfigError);
    expect(() => load({ SPEACHES_BASE_URL: "speaches:8000" })).toThrow(/model_providers\.yaml/);
  });

  it("substitutes only ${NAME} and ${NAME:-default}, in nested strings", () => {
    expect(
      interpolateEnv(
        { a: ["${X}", "${Y:-y}", "$X", "${lower}"], b: { c: "pre-${X}-post" }, n: 3 },
        { X: "x" },
      ),
    ).toEqual({ a: ["x", "y", "$X", "${lower}"], b: { c: "pre-x-post" }, n: 3 });
    expect(interpolateEnv("${UNSET}", {})).toBe("");
  });
});
