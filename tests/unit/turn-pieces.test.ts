// The pure pieces of a turn: a model's tool call checked before it runs, and what OPA is told of the
// tenant when it admits a message, a tool call or a voice call.
import { describe, expect, it } from "vitest";
import type { Principal } from "@/lib/auth/principal";
import type { TenantConfig } from "@/lib/config/files";
import { parseCall } from "@/lib/agent/run-turn";
import { tenantInput } from "@/lib/policy/admission";

describe("parseCall", () => {
  it("accepts a known tool with valid JSON arguments", () => {
    const r = parseCall({
      id: "c1",
      name: "code_execution",
      arguments: '{"runtime":"python","code":"print(1)"}',
    });
    expect(r).toEqual({
      ok: true,
      id: "c1",
      name: "code_execution",
      args: { runtime: "python", code: "print(1)" },
    });
  });

  it("says what is wrong with an unknown tool, arguments that are not JSON, or invalid ones", () => {
    expect(parseCall({ id: "c", name: "nope", arguments: "{}" })).toMatchObject({
      ok: false,
      error: 'There is no tool named "nope".',
    });
    const notJson = parseCall({ id: "c", name: "code_execution", arguments: "{code:" });
    expect(notJson).toMatchObject({ ok: false });
    expect(notJson.ok ? "" : notJson.error).toMatch(/^The arguments are not valid JSON: /);
    const invalid = parseCall({
      id: "c",
      name: "code_execution",
      arguments: '{"runtime":"python","code":42}',
    });
    expect(invalid.ok ? "" : invalid.error).toMatch(/^Invalid arguments: code: /);
  });

  it("reads empty arguments as an empty object", () => {
    expect(parseCall({ id: "c", name: "response", arguments: "" })).toMatchObject({ name: "response" });
  });
});

describe("tenantInput", () => {
  const principal = { userId: "u", tenantId: "t", role: "member", kind: "token" } as Principal;

  it("passes the tenant's allowed models and limits", () => {
    const conf = {
      models: { allowed: ["m1"] },
      limits: { maxSessions: 5, maxMessageBytes: 100 },
    } as unknown as TenantConfig;
    expect(tenantInput(principal, conf, 100)).toEqual({
      id: "t",
      allowedModels: ["m1"],
      maxSessions: 5,
      maxMessageBytes: 100,
    });
  });

  it("without a tenant entry, allows any model and sets no session limit", () => {
    expect(tenantInput(principal, undefined, 32_768)).toEqual({
      id: "t",
      maxSessions: Number.MAX_SAFE_INTEGER,
      maxMessageBytes: 32_768,
    });
  });
});
