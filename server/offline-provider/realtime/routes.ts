// The stub provider's OpenAI Realtime GA API over WebRTC (mounted by ../server.ts under /v1):
//   POST /v1/realtime/client_secrets   {expires_after?: {anchor: "created_at", seconds 10–7200 (600)}, session?}
//                                      → 200 {value: "ek_…", expires_at, session}; stub key only
//   POST /v1/realtime/calls            multipart `sdp` (+ optional `session` JSON) or raw application/sdp;
//                                      Bearer stub key or a live ek_ → 201 application/sdp answer,
//                                      Location: /v1/realtime/calls/rtc_…; bad SDP 400, bad auth 401
//   POST /v1/realtime/calls/{id}/hangup → 200, media and sidebands closed
//   GET  /v1/realtime?call_id=rtc_…    WebSocket upgrade (the sideband), Bearer stub key
// What a call says and does: ./call.ts. Test controls (in ../server.ts):
//   POST /__stub/faults {path, status, count} applies to /v1/realtime/calls, /v1/realtime/client_secrets,
//     /v1/realtime/calls/{id}/hangup and to the sideband ("/v1/realtime": the upgrade is refused).
//   POST /__stub/realtime/close-sidebands {call_id?} closes the open sidebands (of one call, or all)
//     with code 1011; the call's media goes on and a new sideband may connect.
// Errors are OpenAI's shape, {error: {message, type, code, param}}; the stub key is never echoed.
import { randomBytes } from "node:crypto";
import type http from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { WebSocketServer } from "ws";
import { multipartFile } from "../../../lib/audio/wav";
import type { WeriftPeerOptions } from "../../../lib/voice/webrtc-options";
import type { Recognizer } from "../speech/recognizer";
import { RealtimeCall } from "./call";
import { checkSession, defaultSession, mergeSession } from "./session";

const MAX_BODY = 256 * 1024;
const DEFAULT_TTL_S = 600;

export interface RealtimeStubOptions {
  /** When set, the calls, secrets and sidebands need it (calls also take a live ek_ secret). */
  apiKey?: string;
  recognizer: Recognizer;
  webrtc: WeriftPeerOptions;
  log: Logger;
  /** Each server event of each call, as it is sent (for benchmarks). */
  onEvent?: (callId: string, event: Record<string, unknown>) => void;
}

interface Secret {
  expiresAt: number;
  session: Record<string, unknown>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

function sendError(res: http.ServerResponse, err: HttpError): void {
  const type =
    err.status === 401
      ? "invalid_request_error"
      : err.status >= 500
        ? "server_error"
        : "invalid_request_error";
  res.writeHead(err.status, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: { message: err.message, type, code: err.code, param: err.param } }));
}

/** Answers an upgrade request with an HTTP error instead of a WebSocket. */
export function refuseUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { message, type: "invalid_request_error", code, param: null } });
  socket.end(
    `HTTP/1.1 ${status} ${code}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

async function readRaw(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, "request_too_large", "The request body is too large.");
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

const bearer = (req: http.IncomingMessage) => /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];

export class RealtimeStub {
  private readonly calls = new Map<string, RealtimeCall>();
  private readonly secrets = new Map<string, Secret>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });

  constructor(private readonly opts: RealtimeStubOptions) {}

  /** Answers a request under /v1/realtime (404 for what is not one of its endpoints). */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    try {
      if (path === "/v1/realtime/client_secrets" && req.method === "POST")
        return await this.mintSecret(req, res);
      if (path === "/v1/realtime/calls" && req.method === "POST") return await this.createCall(req, res);
      const hangup = /^\/v1\/realtime\/calls\/([^/]+)\/hangup$/.exec(path);
      if (hangup && req.method === "POST") return await this.hangup(req, res, hangup[1]!);
      throw new HttpError(404, "unknown_url", `Unknown endpoint ${req.method} ${path}`);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      if (!req.readableEnded) req.resume(); // the rest of a refused body is not read
      sendError(res, err);
    }
  }

  /** The sideband: GET /v1/realtime?call_id=… upgraded to a WebSocket. */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    if (this.opts.apiKey && bearer(req) !== this.opts.apiKey)
      return refuseUpgrade(socket, 401, "invalid_api_key", "Incorrect API key provided.");
    const callId = url.searchParams.get("call_id");
    if (!callId) return refuseUpgrade(socket, 400, "missing_required_parameter", "call_id is required.");
    const call = this.calls.get(callId);
    if (!call || call.ended) return refuseUpgrade(socket, 404, "call_not_found", "No such call.");
    this.wss.handleUpgrade(req, socket, head, (ws) => call.attach(ws));
  }

  closeSidebands(callId?: string): number {
    let n = 0;
    for (const call of this.calls.values()) if (!callId || call.id === callId) n += call.closeSidebands();
    return n;
  }

  close(): void {
    for (const call of [...this.calls.values()]) call.end();
    // The stub is stopping: no closing handshake to wait for.
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private authorise(req: http.IncomingMessage, allowSecret: boolean): Secret | undefined {
    const token = bearer(req);
    if (allowSecret && token?.startsWith("ek_")) {
      const secret = this.secrets.get(token);
      if (secret && secret.expiresAt > Date.now() / 1000) return secret;
      throw new HttpError(401, "invalid_api_key", "The ephemeral key is unknown or has expired.");
    }
    if (this.opts.apiKey && token !== this.opts.apiKey)
      throw new HttpError(401, "invalid_api_key", "Incorrect API key provided.");
    return undefined;
  }

  private async mintSecret(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.authorise(req, false);
    let body: Record<string, unknown>;
    try {
      const raw = (await readRaw(req)).toString("utf8");
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      if (typeof body !== "object" || body === null || Array.isArray(body)) throw new Error("not an object");
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(400, "invalid_json", "The request body is not a JSON object.");
    }
    const expires = (body.expires_after ?? {}) as { anchor?: unknown; seconds?: unknown };
    if (expires.anchor !== undefined && expires.anchor !== "created_at")
      throw new HttpError(
        400,
        "invalid_value",
        "expires_after.anchor must be 'created_at'.",
        "expires_after.anchor",
      );
    const seconds = expires.seconds ?? DEFAULT_TTL_S;
    if (typeof seconds !== "number" || !Number.isInteger(seconds) || seconds < 10 || seconds > 7200)
      throw new HttpError(
        400,
        "invalid_value",
        "expires_after.seconds must be 10–7200.",
        "expires_after.seconds",
      );
    const problem = body.session === undefined ? undefined : checkSession(body.session);
    if (problem) throw new HttpError(400, problem.code, problem.message, problem.param);
    const session = mergeSession(
      defaultSession(`sess_${randomBytes(12).toString("hex")}`),
      (body.session ?? {}) as Record<string, unknown>,
    );
    const value = `ek_${randomBytes(16).toString("hex")}`;
    const expiresAt = Math.floor(Date.now() / 1000) + seconds;
    this.secrets.set(value, { expiresAt, session });
    for (const [k, s] of this.secrets) if (s.expiresAt <= Date.now() / 1000) this.secrets.delete(k);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ value, expires_at: expiresAt, session }));
  }

  private async createCall(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const secret = this.authorise(req, true);
    const raw = await readRaw(req);
    const type = req.headers["content-type"] ?? "";
    let sdp: string | undefined;
    let sessionJson: string | undefined;
    if (type.startsWith("multipart/form-data")) {
      sdp = multipartFile(raw, "sdp")?.toString("utf8");
      sessionJson = multipartFile(raw, "session")?.toString("utf8");
    } else if (type.startsWith("application/sdp")) sdp = raw.toString("utf8");
    else
      throw new HttpError(
        400,
        "invalid_request",
        "Send the offer as multipart/form-data `sdp` or as application/sdp.",
      );
    if (!sdp || !/^v=0\r?\n/.test(sdp) || !/^m=audio /m.test(sdp))
      throw new HttpError(
        400,
        "invalid_offer",
        "The SDP offer is not valid (it needs v=0 and an audio section).",
        "sdp",
      );
    let update: Record<string, unknown> = {};
    if (sessionJson) {
      try {
        update = JSON.parse(sessionJson) as Record<string, unknown>;
      } catch {
        throw new HttpError(400, "invalid_json", "The session field is not valid JSON.", "session");
      }
      const problem = checkSession(update);
      if (problem) throw new HttpError(400, problem.code, problem.message, problem.param);
    }
    const call = new RealtimeCall({
      recognizer: this.opts.recognizer,
      webrtc: this.opts.webrtc,
      log: this.opts.log,
      session: mergeSession(secret?.session ?? {}, update),
      onEnd: (c) => this.calls.delete(c.id),
      ...(this.opts.onEvent ? { onEvent: this.opts.onEvent } : {}),
    });
    let answer: string;
    try {
      answer = await call.answer(sdp);
    } catch (err) {
      call.end();
      this.opts.log.info({ err }, "realtime stub refused an offer");
      throw new HttpError(400, "invalid_offer", "The SDP offer could not be answered.", "sdp");
    }
    this.calls.set(call.id, call);
    res.writeHead(201, { "content-type": "application/sdp", location: `/v1/realtime/calls/${call.id}` });
    res.end(answer);
  }

  private async hangup(req: http.IncomingMessage, res: http.ServerResponse, id: string): Promise<void> {
    this.authorise(req, true);
    await readRaw(req);
    const call = this.calls.get(id);
    if (!call) throw new HttpError(404, "call_not_found", "No such call.");
    call.end();
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  }
}
