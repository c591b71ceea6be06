import { describe, expect, it } from "vitest";
import { bearerToken, cookieValue, generateToken, hashSecret, TOKEN_PREFIX } from "@/lib/auth/tokens";
import { hashPassword, needsRehash, verifyPassword } from "@/lib/auth/password";
import { routeLabel } from "@/lib/server/metrics";

describe("API tokens", () => {
  it("are random, prefixed, and stored only as a hash", () => {
    const a = generateToken();
    const b = generateToken();
    expect(a.token.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(a.token).not.toBe(b.token);
    expect(a.hash).toBe(hashSecret(a.token));
    expect(a.hash).not.toContain(a.token.slice(TOKEN_PREFIX.length));
    expect(a.token.startsWith(a.prefix)).toBe(true);
  });

  it("are read from a Bearer header and nothing else", () => {
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("bearer  abc ")).toBe("abc");
    expect(bearerToken("Basic abc")).toBeUndefined();
    expect(bearerToken("Bearer a b")).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it("cookies are parsed by exact name", () => {
    expect(cookieValue("a=1; soma_session=xyz%3D; b=2", "soma_session")).toBe("xyz=");
    expect(cookieValue("xsoma_session=1", "soma_session")).toBeUndefined();
  });
});

// scrypt at N=2^17 takes ~0.3 s per hash on a quiet core, several seconds on a busy 2-core machine.
describe("passwords", { timeout: 30_000 }, () => {
  it("verify only the right password", async () => {
    const h = await hashPassword("correct horse");
    expect(h.startsWith("scrypt$")).toBe(true);
    expect(await verifyPassword("correct horse", h)).toBe(true);
    expect(await verifyPassword("wrong horse", h)).toBe(false);
    expect(await verifyPassword("x", "garbage")).toBe(false);
  });
  it("hash at N=2^17 and ask for a new hash when one was made at another cost", async () => {
    const h = await hashPassword("correct horse");
    expect(h).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(needsRehash(h)).toBe(false);
    expect(needsRehash("scrypt$16384$8$1$c2FsdA$a2V5")).toBe(true);
    expect(needsRehash("bcrypt$whatever")).toBe(true);
  });
});

describe("metric route labels", () => {
  it("collapse ids so label cardinality stays bounded", () => {
    expect(routeLabel("/api/v1/sessions/4f0c2f8e-8a2b-4a57-9d1e-5b1c7e0f9a10/messages")).toBe(
      "/api/v1/sessions/:id/messages",
    );
    expect(routeLabel("/api/v1/audit/123")).toBe("/api/v1/audit/:n");
    expect(routeLabel("/_next/static/chunks/x.js")).toBe("/_next/*");
  });
});
