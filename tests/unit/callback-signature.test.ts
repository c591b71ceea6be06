import { describe, expect, it } from "vitest";
import { sign, verify } from "@/lib/tools/callback-signature";
import { createMasker } from "@/lib/secrets/mask";
import { loadSecretStore, resolveSecretRefs, UnknownSecretError } from "@/lib/secrets/store";
import { staysInside } from "@/lib/tools/workspace-files";
import { hostAllowed } from "@/lib/tools/http-request";

describe("callback signatures", () => {
  const now = Date.now();
  const ts = Math.floor(now / 1000);
  it("verify the right secret and body only", () => {
    const sig = sign("k", "body", ts);
    expect(verify("k", "body", String(ts), sig, now)).toBe(true);
    expect(verify("k", "body2", String(ts), sig, now)).toBe(false);
    expect(verify("other", "body", String(ts), sig, now)).toBe(false);
    expect(verify("k", "body", null, sig, now)).toBe(false);
  });
  it("refuse old timestamps (replays)", () => {
    const old = ts - 3600;
    expect(verify("k", "b", String(old), sign("k", "b", old), now)).toBe(false);
  });
});

describe("secrets", () => {
  const store = loadSecretStore({ env: { SOMA_SECRET_API_KEY: "abcd1234", OTHER: "x" } });
  it("resolve references in nested arguments and report which were used", () => {
    const { resolved, used } = resolveSecretRefs(
      { h: { auth: "Bearer {{secret:API_KEY}}" }, list: ["{{secret:API_KEY}}"] },
      store,
    );
    expect(resolved).toEqual({ h: { auth: "Bearer abcd1234" }, list: ["abcd1234"] });
    expect(used.map((u) => u.name)).toEqual(["API_KEY"]);
  });
  it("refuse unknown secrets", () => {
    expect(() => resolveSecretRefs({ a: "{{secret:NOPE}}" }, store)).toThrow(UnknownSecretError);
  });
  it("are masked wherever they appear", () => {
    const m = createMasker(store.values());
    expect(m.deep({ out: "key=abcd1234!", n: 1, arr: ["abcd1234"] })).toEqual({
      out: "key=[secret:API_KEY]!",
      n: 1,
      arr: ["[secret:API_KEY]"],
    });
  });
});

describe("tool guards", () => {
  it("keep workspace paths inside", () => {
    expect(staysInside("a/b.txt")).toBe(true);
    expect(staysInside("a/../b.txt")).toBe(true);
    expect(staysInside("../x")).toBe(false);
    expect(staysInside("a/../../x")).toBe(false);
    expect(staysInside("/etc/passwd")).toBe(false);
  });
  it("match allowed hosts exactly or by wildcard suffix", () => {
    expect(hostAllowed("api.example.com", ["*.example.com"])).toBe(true);
    expect(hostAllowed("example.com", ["*.example.com"])).toBe(false);
    expect(hostAllowed("evil-example.com", ["*.example.com"])).toBe(false);
    expect(hostAllowed("EXAMPLE.org", ["example.org"])).toBe(true);
  });
});
