import { describe, expect, it } from "vitest";
import { sign, verify } from "@/lib/executor/callback-signature";
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
