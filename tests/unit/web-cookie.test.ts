// The browser session cookie: __Host- prefixed and Secure over https (browsers then refuse it from
// any other host or path), plain over http for local development; HSTS only over https.
import { describe, expect, it } from "vitest";
import { sessionSecret } from "@/lib/auth/principal";
import { clearedCookie, sessionCookie } from "@/lib/auth/web-session";
import { contentSecurityPolicy, newCspNonce, securityHeaders } from "@/lib/http/security-headers";

describe("session cookie", () => {
  it("is __Host- prefixed, Secure, host-only and on / over https", () => {
    const c = sessionCookie("s3cret", true);
    expect(c).toMatch(/^__Host-soma_session=s3cret; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+; Secure$/);
    expect(c).not.toContain("Domain=");
    expect(clearedCookie(true)).toMatch(/^__Host-soma_session=; .*Max-Age=0; Secure$/);
  });
  it("is plain over http", () => {
    expect(sessionCookie("s3cret", false)).toMatch(/^soma_session=s3cret; /);
    expect(sessionCookie("s3cret", false)).not.toContain("Secure");
  });
  it("is read under either name, and a malformed value is no credential", () => {
    expect(sessionSecret("a=1; __Host-soma_session=x1")).toBe("x1");
    expect(sessionSecret("soma_session=x2")).toBe("x2");
    expect(sessionSecret("soma_session=%zz")).toBeUndefined();
  });
});

describe("security headers", () => {
  it("send HSTS over https only", () => {
    expect(securityHeaders({ https: true })["strict-transport-security"]).toBe(
      "max-age=31536000; includeSubDomains",
    );
    expect(securityHeaders({})["strict-transport-security"]).toBeUndefined();
  });
});

describe("content security policy", () => {
  const scriptSrc = (csp: string) => csp.split("; ").find((d) => d.startsWith("script-src "));
  it("allows production scripts by nonce only: no 'unsafe-inline', no 'unsafe-eval'", () => {
    const csp = contentSecurityPolicy({ dev: false, nonce: "abc123==" });
    expect(scriptSrc(csp)).toBe("script-src 'self' 'nonce-abc123==' 'strict-dynamic'");
    expect(csp).toContain("object-src 'none'");
    expect(scriptSrc(contentSecurityPolicy({ dev: false }))).toBe("script-src 'self'");
  });
  it("keeps 'unsafe-eval' in development only, for hot reloading", () => {
    expect(scriptSrc(contentSecurityPolicy({ dev: true }))).toContain("'unsafe-eval'");
  });
  it("makes a new nonce each time, in the characters Next accepts", () => {
    const nonces = new Set(Array.from({ length: 100 }, () => newCspNonce()));
    expect(nonces.size).toBe(100);
    for (const n of nonces) expect(n).toMatch(/^[A-Za-z0-9+/]{22}==$/);
  });
});
