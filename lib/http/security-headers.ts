// Headers every response carries. The CSP allows only our own origin (plus WebRTC/media and the
// socket.io connection), and inline styles that Next's runtime injects. In production, scripts run
// only with the response's nonce: Next reads the nonce from the request's CSP header
// (server/http-handler.ts sets it) and puts it on every script it renders; 'strict-dynamic' then
// trusts the chunks those scripts load. Development keeps 'unsafe-inline' 'unsafe-eval' for HMR.
import { randomBytes } from "node:crypto";

/** A fresh CSP nonce: 128 random bits, base64 (the characters Next's nonce parser accepts). */
export function newCspNonce(): string {
  return randomBytes(16).toString("base64");
}

export function contentSecurityPolicy(opts: { dev: boolean; nonce?: string }): string {
  const scriptSrc = opts.dev
    ? "'self' 'unsafe-inline' 'unsafe-eval'"
    : opts.nonce
      ? `'self' 'nonce-${opts.nonce}' 'strict-dynamic'`
      : "'self'";
  return [
    "default-src 'self'",
    `script-src ${scriptSrc}`,
    // Inline styles stay allowed: React's style props and Next's runtime set them.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self' ws: wss:",
    "font-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
  ].join("; ");
}

/**
 * The headers that are the same for every response; the CSP is per response (its nonce), from
 * `contentSecurityPolicy`. `https`: the public URL is https, so browsers are told to use nothing
 * else (HSTS).
 */
export function securityHeaders(opts: { https?: boolean }): Record<string, string> {
  return {
    ...(opts.https ? { "strict-transport-security": "max-age=31536000; includeSubDomains" } : {}),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "permissions-policy": "camera=(), geolocation=(), microphone=(self)",
  };
}
