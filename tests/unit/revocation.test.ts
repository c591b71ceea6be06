// Which open connections a revocation ends: the token's, the browser session's, all of a disabled
// user's, and for an unshare only that user's follows of that session.
import { describe, expect, it } from "vitest";
import type { Principal } from "@/lib/auth/principal";
import { revokes } from "@/lib/auth/revocation";

const base = { userId: "u1", tenantId: "t1", role: "member", email: "a@b.c" } as const;
const viaToken: Principal = { ...base, kind: "token", tokenId: "tok-1" };
const viaBrowser: Principal = { ...base, kind: "session", sessionHash: "h1" };
const other: Principal = { ...base, userId: "u2", kind: "token", tokenId: "tok-2" };

describe("revokes", () => {
  it("ends the revoked token's connections only", () => {
    const r = { kind: "token", tokenId: "tok-1", reason: "" } as const;
    expect([viaToken, viaBrowser, other].map((p) => revokes(r, p))).toEqual([true, false, false]);
  });
  it("ends the signed-out browser session's connections only", () => {
    const r = { kind: "web-session", sessionHash: "h1", reason: "" } as const;
    expect([viaToken, viaBrowser, other].map((p) => revokes(r, p))).toEqual([false, true, false]);
  });
  it("ends every connection of a disabled user", () => {
    const r = { kind: "user", userId: "u1", reason: "" } as const;
    expect([viaToken, viaBrowser, other].map((p) => revokes(r, p))).toEqual([true, true, false]);
  });
  it("ends an unshared user's follows of that session, nothing else", () => {
    const r = { kind: "share", sessionId: "s1", userId: "u1", reason: "" } as const;
    expect(revokes(r, viaToken, "s1")).toBe(true);
    expect(revokes(r, viaBrowser, "s1")).toBe(true);
    expect(revokes(r, viaToken, "s2")).toBe(false);
    expect(revokes(r, viaToken)).toBe(false); // the socket itself stays
    expect(revokes(r, other, "s1")).toBe(false);
  });
});
