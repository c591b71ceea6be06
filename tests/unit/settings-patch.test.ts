// validatePatch: a settings change checked field by field before anything is written.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "@/lib/config";
import { validatePatch } from "@/lib/settings/service";

const root = path.resolve(import.meta.dirname, "../..");
const config = loadConfig({ root, env: {}, settingsFile: path.join(root, "tmp/none/settings.json") });

function refusal(body: unknown, c = config) {
  try {
    validatePatch(body, c);
  } catch (err) {
    return err as { code: string; message: string; details?: unknown };
  }
  throw new Error("not refused");
}

describe("validatePatch", () => {
  it("returns the values to write and the keys to store", () => {
    const { values, keys } = validatePatch(
      { speech: { turnDetection: { threshold: 0.7 } }, models: { chat: { apiKey: "sk-x" } } },
      config,
    );
    expect([...values]).toEqual([["speech.turnDetection.threshold", 0.7]]);
    expect([...keys]).toEqual([["models.chat", "sk-x"]]);
  });

  it("refuses what is not a settings object, or names nothing", () => {
    expect(refusal([1])).toMatchObject({ code: "invalid_request" });
    expect(refusal({})).toMatchObject({
      code: "invalid_request",
      message: expect.stringContaining("Nothing") as string,
    });
  });

  it("names every bad field: unknown, out of the schema's bounds, a key with spaces", () => {
    const e = refusal({
      nope: 1,
      speech: { turnDetection: { threshold: 2 } },
      models: { chat: { apiKey: "has space" } },
    });
    expect(e.code).toBe("invalid_request");
    expect((e.details as { field: string }[]).map((d) => d.field).sort()).toEqual([
      "models.chat.apiKey",
      "nope",
      "speech.turnDetection.threshold",
    ]);
  });

  it("refuses a field an environment variable locks (409), naming the variable", () => {
    const locked = loadConfig({
      root,
      env: { SOMA_AGENT_MAX_STEPS: "5" },
      settingsFile: path.join(root, "tmp/none/settings.json"),
    });
    const e = refusal({ agent: { maxSteps: 6 } }, locked);
    expect(e.code).toBe("conflict");
    expect(JSON.stringify(e.details)).toContain("SOMA_AGENT_MAX_STEPS");
  });

  it("refuses a key variable that is not a provider's", () => {
    const e = refusal({ models: { chat: { apiKeyEnv: "DATABASE_URL" } } });
    expect(e.details).toEqual([{ field: "models.chat.apiKeyEnv", message: expect.any(String) as string }]);
  });
});
