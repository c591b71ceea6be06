// Headers every response carries. The CSP allows only our own origin (plus WebRTC/media and the
// socket.io connection), and inline styles that Next's runtime injects.
/** `https`: the public URL is https, so browsers are told to use nothing else (HSTS). */
export function securityHeaders(opts: { dev: boolean; https?: boolean }): Record<string, string> {
  const scriptSrc = opts.dev ? "'self' 'unsafe-inline' 'unsafe-eval'" : "'self' 'unsafe-inline'";
  return {
    ...(opts.https ? { "strict-transport-security": "max-age=31536000; includeSubDomains" } : {}),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "permissions-policy": "camera=(), geolocation=(), microphone=(self)",
    "content-security-policy": [
      "default-src 'self'",
      `script-src ${scriptSrc}`,
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data: blob:",
      "media-src 'self' blob:",
      "connect-src 'self' ws: wss:",
      "font-src 'self'",
      "frame-ancestors 'none'",
      "base-uri 'self'",
      "form-action 'self'",
    ].join("; "),
  };
}
