// Secrets belong to a tenant and to the tools they name; code never receives one; a refusal says
// the same thing whatever the reason, so names cannot be probed; masking finds encoded forms too.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tenantSchema, type TenantConfig } from "@/lib/config/files";
import { createMasker } from "@/lib/secrets/mask";
import { loadSecretStore, resolveSecretRefs, SecretDenied } from "@/lib/secrets/store";

const tenant = (secrets: unknown): TenantConfig =>
  tenantSchema.parse({
    name: "t",
    budgets: { tokensDaily: 1, tokensMonthly: 1 },
    rateLimits: { chatMessages: 1, voiceSessions: 1, toolInvocations: 1, authAttempts: 1 },
    models: {},
    limits: { maxSessions: 1, maxMessageBytes: 1 },
    secrets,
  });

const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "soma-secrets-")), "secrets.json");
fs.writeFileSync(
  file,
  JSON.stringify({ acme: { FROM_FILE: "file-value-1" }, other: { OTHER_KEY: "other-value" } }),
);
const store = loadSecretStore({
  env: { ACME_TOKEN: "abcd1234", HOOK: "hook-secret" },
  file,
  tenants: {
    acme: tenant({ API_TOKEN: { env: "ACME_TOKEN" }, HOOK: { env: "HOOK", tools: ["workspace_files"] } }),
    other: tenant({}),
  },
});
const acme = store.forTenant("acme");
const denied = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof SecretDenied) return { rule: err.rule, message: err.message, name: err.secretName };
    throw err;
  }
  throw new Error("not refused");
};

describe("tenant secrets", () => {
  it("resolve in the tools they allow, for their own tenant (env and secrets file)", () => {
    const args = {
      headers: { authorization: "Bearer {{secret:API_TOKEN}}" },
      url: "https://x/?k={{secret:FROM_FILE}}",
    };
    expect(resolveSecretRefs(args, acme, "http_request")).toEqual({
      headers: { authorization: "Bearer abcd1234" },
      url: "https://x/?k=file-value-1",
    });
    expect(resolveSecretRefs({ a: "{{secret:HOOK}}" }, acme, "workspace_files")).toEqual({
      a: "hook-secret",
    });
  });

  it("give one answer for another tenant's, an unknown and a not-allowed name", () => {
    const answers = [
      denied(() => resolveSecretRefs({ h: "{{secret:OTHER_KEY}}" }, acme, "http_request")),
      denied(() => resolveSecretRefs({ h: "{{secret:NOPE}}" }, acme, "http_request")),
      denied(() => resolveSecretRefs({ h: "{{secret:HOOK}}" }, acme, "http_request")),
      denied(() =>
        resolveSecretRefs({ h: "{{secret:API_TOKEN}}" }, store.forTenant("other"), "http_request"),
      ),
    ];
    expect(new Set(answers.map((a) => a.message))).toEqual(new Set(["secret not available"]));
    expect(answers.map((a) => a.name)).toEqual(["OTHER_KEY", "NOPE", "HOOK", "API_TOKEN"]); // for the audit log
  });

  it("are never given to code_execution, even when a declaration names it", () => {
    const codeStore = loadSecretStore({
      env: { V: "value-1234" },
      tenants: { t: tenant({ X: { env: "V", tools: ["code_execution"] } }) },
    });
    const refused = denied(() =>
      resolveSecretRefs({ code: 'print("{{secret:X}}"[::-1])' }, codeStore.forTenant("t"), "code_execution"),
    );
    expect(refused.rule).toBe("code");
    expect(refused.message).toContain("never given to code_execution");
  });

  it("are masked as given, in base64 and URL-encoded", () => {
    const m = createMasker(store.all());
    const b64 = Buffer.from("abcd1234").toString("base64");
    const spaced = createMasker([{ name: "S", value: "a b&c=d/e" }]);
    expect(m.text(`plain abcd1234, b64 ${b64}, unpadded ${b64.replace(/=+$/, "")}`)).toBe(
      "plain [secret:API_TOKEN], b64 [secret:API_TOKEN], unpadded [secret:API_TOKEN]",
    );
    expect(spaced.text(`q=${encodeURIComponent("a b&c=d/e")} form=a+b%26c%3Dd%2Fe`)).toBe(
      "q=[secret:S] form=[secret:S]",
    );
    expect(m.deep({ out: ["key=abcd1234!"], n: 1 })).toEqual({ out: ["key=[secret:API_TOKEN]!"], n: 1 });
  });

  it("refuse a declaration with both env and file", () => {
    expect(() => tenant({ X: { env: "A", file: "/run/secrets/x" } })).toThrow(/env or file/);
  });
});
