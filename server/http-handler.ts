// The gateway's HTTP pipeline in front of Next: request id, metrics, security headers, the health
// endpoints, and the authentication gate for /api/v1/* (Next's route handlers check again themselves);
// the routes the gateway serves itself (deps.routes) take the principal it authenticated.
import { randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { principalOrThrow, type AuthDeps, type Principal } from "../lib/auth/principal";
import { dropForwarded, forwardPrincipal } from "../lib/auth/forwarded-principal";
import { AppError, toAppError } from "../lib/errors";
import { reportFailure } from "../lib/http/failure";
import { sendJson } from "../lib/http/send-json";
import { unstorableText } from "../lib/http/storable-text";
import { contentSecurityPolicy, newCspNonce, securityHeaders } from "../lib/http/security-headers";
import { clientAddress, CLIENT_IP_HEADER } from "../lib/http/client-ip";
import { addressKind } from "../lib/net/address";
import { bearerToken } from "../lib/auth/tokens";
import { metrics, routeLabel } from "../lib/server/metrics";
import type { MethodLookup } from "../lib/api/method-table";
import type { Check } from "../lib/server/readiness";
import { runChecks } from "../lib/server/readiness";
import type { MaintenanceView } from "../lib/maintenance/view";
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from "@opentelemetry/semantic-conventions";
import { ATTR, openSpan, tracingEnabled } from "../lib/tracing/spans";

export interface HandlerDeps {
  log: Logger;
  dev: boolean;
  ui: boolean;
  auth: () => AuthDeps;
  readiness: () => Record<string, Check>;
  /** Maintenance mode (lib/maintenance/state.ts): while it is on, /readyz answers 503 `draining`. */
  maintenance?: () => Promise<MaintenanceView>;
  next: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /**
   * API routes the gateway serves itself, ahead of Next (a session's event stream, a message sent to
   * it: server/session-events.ts, server/session-messages.ts): true when the request was one (and is
   * being answered).
   */
  routes?: (req: IncomingMessage, res: ServerResponse, url: URL, principal: Principal) => Promise<boolean>;
  /** The methods each API path answers (from the route contracts); null for a path no route has. */
  methods: MethodLookup;
  isShuttingDown: () => boolean;
  /** Origins whose pages may make cookie-authenticated writes (CSRF defence). */
  allowedOrigins: string[];
  /** Proxies whose X-Forwarded-For is believed (server.trustedProxies). */
  trustedProxies: string[];
  /** server.metricsToken: lets other hosts read /metrics and /readyz details. */
  metricsToken: string;
  /** The public URL is https: HSTS is sent. */
  https?: boolean;
  /** The text /metrics serves (default: this process's registry; under a primary, every worker's summed). */
  metricsText?: () => Promise<string>;
  /** Which process answered, on /healthz: a gateway with several processes names its worker slot. */
  processInfo?: { pid: number; worker?: number };
}

/** Operators: callers on this host, or anyone with the metrics token. */
function isOperator(req: IncomingMessage, client: string, token: string): boolean {
  if (addressKind(client) === "loopback") return true;
  const given = bearerToken(req.headers.authorization);
  if (!token || !given) return false;
  const [a, b] = [Buffer.from(given), Buffer.from(token)];
  return a.length === b.length && timingSafeEqual(a, b);
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function refererOrigin(referer: string | undefined): string | undefined {
  try {
    return referer ? new URL(referer).origin : undefined;
  } catch {
    return undefined; // a malformed Referer counts as none
  }
}

/** Cookie-authenticated writes must come from our own pages: Origin (or Referer) must be ours. */
function checkCsrf(req: IncomingMessage, allowed: string[]): void {
  if (SAFE_METHODS.has(req.method ?? "GET")) return;
  const origin = req.headers.origin ?? refererOrigin(req.headers.referer);
  const self = req.headers.host ? [`http://${req.headers.host}`, `https://${req.headers.host}`] : [];
  if (origin && (allowed.includes(origin) || self.includes(origin))) return;
  throw new AppError(
    "forbidden",
    "Cross-site request refused: cookie-authenticated writes must come from SomaAgent's own pages.",
    { details: [{ field: "origin", message: origin ? `${origin} is not allowed` : "missing" }] },
  );
}

export function sendError(res: ServerResponse, err: unknown): void {
  const e = toAppError(err);
  sendJson(res, e.status, e.toBody(), e.headers);
}

/**
 * Every /api path and method is answered here or by a route declared in its contract: an unknown
 * path is a JSON 404 and a method the route does not have a JSON 405 with Allow, whatever the method
 * (Next would answer TRACE with its HTML error page). OPTIONS lists the methods. True when answered.
 */
function checkMethod(req: IncomingMessage, res: ServerResponse, url: URL, methods: MethodLookup): boolean {
  const { pathname } = url;
  const method = (req.method ?? "GET").toUpperCase();
  const allow = methods(pathname);
  if (!allow) throw new AppError("not_found", `No API route at ${method} ${pathname}.`);
  if (method === "OPTIONS") {
    res.writeHead(204, { allow: allow.join(", "), "cache-control": "no-store" });
    res.end();
    return true;
  }
  if (allow.includes(method)) {
    for (const [name, value] of url.searchParams)
      if (unstorableText(name) || unstorableText(value))
        throw new AppError("invalid_request", `Invalid query: ${name}: contains a NUL character.`, {
          details: [{ field: name, message: "contains a NUL character" }],
        });
    return false;
  }
  throw new AppError(
    "method_not_allowed",
    `${pathname} does not answer ${method}; it answers ${allow.join(", ")}.`,
    {
      headers: { allow: allow.join(", ") },
    },
  );
}

/** The compatibility paths of the settings and realtime APIs (the runtime document's names), authenticated like /api/v1. */
const COMPAT_API_PATHS = new Set(["/settings_get", "/settings_set", "/realtime_session"]);

/** Requests worth a span: the API and pages, not probes, scrapes, assets or socket.io's polling. */
function traced(pathname: string): boolean {
  return !(
    pathname === "/healthz" ||
    pathname === "/readyz" ||
    pathname === "/metrics" ||
    pathname.startsWith("/_next/") ||
    pathname.startsWith("/socket.io")
  );
}

export function createHttpHandler(deps: HandlerDeps) {
  const serve = createServe(deps);
  // One server span per request while tracing, with everything the request does as its children. A
  // trace starts here: a caller's traceparent is not adopted (a client must not be able to write into
  // another request's trace); the internal callback adopts its signed caller's (tool-results route).
  return function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!tracingEnabled()) return serve(req, res);
    const pathname = (req.url ?? "/").split("?", 1)[0] ?? "/";
    if (!traced(pathname)) return serve(req, res);
    const method = req.method ?? "GET";
    const route = routeLabel(pathname);
    const span = openSpan(`${method} ${route}`, {
      kind: "server",
      parent: null,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: method,
        [ATTR_HTTP_ROUTE]: route,
        [ATTR_URL_PATH]: pathname.slice(0, 200),
      },
    });
    res.once("close", () => {
      const requestId = res.getHeader("x-request-id");
      span.set({
        [ATTR_HTTP_RESPONSE_STATUS_CODE]: res.statusCode,
        ...(typeof requestId === "string" ? { [ATTR.requestId]: requestId } : {}),
      });
      span.end(res.statusCode >= 500 ? `HTTP ${res.statusCode}` : undefined);
    });
    return span.run(() => serve(req, res));
  };
}

function createServe(deps: HandlerDeps) {
  const m = metrics();
  const headers = securityHeaders({ https: deps.https ?? false });

  return async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const incoming = req.headers["x-request-id"];
    const requestId =
      typeof incoming === "string" && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    const url = new URL(req.url ?? "/", "http://gateway");
    const log = deps.log.child({ requestId });
    res.setHeader("x-request-id", requestId);
    req.headers["x-request-id"] = requestId; // route handlers record it in audit rows
    const client = clientAddress(
      req.socket.remoteAddress ?? "unknown",
      req.headers["x-forwarded-for"],
      deps.trustedProxies,
    );
    req.headers[CLIENT_IP_HEADER] = client;
    dropForwarded(req.headers);
    // An event stream is not compressed: Next's gzip would deflate (and flush) every event, a cost
    // per event and per client for a few bytes saved.
    if (req.headers.accept?.includes("text/event-stream")) delete req.headers["accept-encoding"];
    let principal: Principal | undefined;
    // While shutting down, each finished response also closes its connection, so server.close()
    // does not wait on idle keep-alive sockets until the grace period ends.
    if (deps.isShuttingDown()) res.setHeader("connection", "close");
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    // A nonce per response. Next takes the nonce from the request's CSP header, so the one set here
    // replaces whatever the client sent: a caller cannot choose the nonce its page is rendered with.
    const csp = contentSecurityPolicy({ dev: deps.dev, ...(deps.dev ? {} : { nonce: newCspNonce() }) });
    req.headers["content-security-policy"] = csp;
    delete req.headers["content-security-policy-report-only"];
    res.setHeader("content-security-policy", csp);

    res.on("finish", () => {
      const route = routeLabel(url.pathname);
      const labels = { method: req.method ?? "GET", route, status: String(res.statusCode) };
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      m.httpRequests.inc(labels);
      // A stream's duration is how long someone followed it, not latency: kept out of the histogram.
      if (!String(res.getHeader("content-type") ?? "").startsWith("text/event-stream"))
        m.httpDuration.observe(labels, seconds);
      if (!url.pathname.startsWith("/_next/") && url.pathname !== "/healthz") {
        log.info(
          { method: req.method, path: url.pathname, status: res.statusCode, ms: Math.round(seconds * 1000) },
          "request",
        );
      }
    });

    try {
      if (url.pathname === "/healthz") {
        return sendJson(res, 200, { status: "ok", ...deps.processInfo });
      }
      if (url.pathname === "/readyz") {
        if (deps.isShuttingDown())
          return sendJson(res, 503, { status: "shutting_down", failing: [], checks: {} });
        // Side by side, so a Redis outage costs one timeout, not two.
        const [maintenance, result] = await Promise.all([
          deps.maintenance?.().catch((err: unknown) => {
            // Redis is down: its check says so.
            log.warn({ err }, "readiness: maintenance state unavailable");
            return undefined;
          }),
          runChecks(deps.readiness()),
        ]);
        // A load balancer stops sending new traffic; what runs here finishes.
        if (maintenance?.active)
          return sendJson(res, 503, {
            status: "draining",
            maintenance: { message: maintenance.message, until: maintenance.until },
          });
        if (result.status !== "ok") log.warn({ failing: result.failing, checks: result.checks }, "not ready");
        // Which dependency fails, and how, is for operators; everyone else learns ready or not.
        const shown = isOperator(req, client, deps.metricsToken) ? result : { status: result.status };
        return sendJson(res, result.status === "ok" ? 200 : 503, shown);
      }
      if (url.pathname === "/metrics") {
        if (!isOperator(req, client, deps.metricsToken))
          throw new AppError(
            "unauthorized",
            "Metrics are for operators: read them on this host, or send server.metricsToken as a bearer token.",
          );
        const text = await (deps.metricsText ?? (() => m.registry.metrics()))();
        res.writeHead(200, { "content-type": m.registry.contentType });
        res.end(text);
        return;
      }
      const compat = COMPAT_API_PATHS.has(url.pathname);
      if (url.pathname === "/api/v1" || url.pathname.startsWith("/api/v1/") || compat) {
        principal = await principalOrThrow(
          { authorization: req.headers.authorization, cookie: req.headers.cookie },
          deps.auth(),
        );
        if (principal.kind === "session") checkCsrf(req, deps.allowedOrigins);
        // The route handler uses this principal instead of authenticating the request again.
        res.on("close", forwardPrincipal(req.headers, principal));
        // Authenticated first: an anonymous caller learns nothing about paths but "sign in".
        if (checkMethod(req, res, url, deps.methods)) return;
        if (deps.routes && (await deps.routes(req, res, url, principal))) return;
      } else if (url.pathname.startsWith("/api/")) {
        if (checkMethod(req, res, url, deps.methods)) return;
      } else if (!deps.ui) {
        // Headless mode: the API only, no pages.
        throw new AppError(
          "not_found",
          "This gateway runs headless (server.ui=false): there are no pages, only /api.",
        );
      }
      await deps.next(req, res);
    } catch (err) {
      sendError(
        res,
        await reportFailure(err, {
          log,
          resource: `${req.method ?? "GET"} ${url.pathname}`,
          principal,
          ip: client,
          requestId,
        }),
      );
    }
  };
}
