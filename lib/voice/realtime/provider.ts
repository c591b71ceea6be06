// The realtime provider, from the gateway (OpenAI Realtime GA over WebRTC, or anything speaking it):
// the page's SDP offer is relayed to `{baseUrl}/realtime/calls` with the server's key and a session
// the gateway builds, and the gateway keeps the call through its own sideband WebSocket. The key
// stays here: the page gets only the SDP answer.
import { randomBytes } from "node:crypto";
import http from "node:http";
import https from "node:https";
import WebSocket from "ws";
import { singleton } from "../../singleton";
import { SpeechError, speechEndpoint } from "../speech-client";

const CALL_TIMEOUT_MS = 10_000;

export interface RealtimeCallCreated {
  /** The provider's call id (`rtc_…`), from the Location header. */
  providerCallId: string;
  answerSdp: string;
  /** Milliseconds the provider took to answer (for the relay-overhead metric). */
  providerMs: number;
}

function failure(status: number, text: string): SpeechError {
  let message = "";
  try {
    message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? "";
  } catch {
    // not JSON: the status says enough
  }
  const code = status === 401 || status === 403 ? "auth" : "failed";
  const why =
    code === "auth"
      ? "The realtime voice provider refused the key."
      : `The realtime voice provider failed (${status}${message ? `: ${message.slice(0, 200)}` : ""}).`;
  return new SpeechError("realtime", code, why, status);
}

/**
 * Kept-alive connections to the provider, on node:http(s): an offer is relayed on a warm connection,
 * and a request costs about a third of fetch's CPU here (docs/voice.md, "Measured: realtime relay").
 */
const agents = () =>
  singleton("realtime-provider-agents", () => ({
    "http:": new http.Agent({ keepAlive: true }),
    "https:": new https.Agent({ keepAlive: true }),
  }));

interface Answer {
  status: number;
  location: string | undefined;
  text: string;
}

/** One POST of a whole body (one write), its answer read to the end. */
function request(
  url: URL,
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<Answer> {
  const secure = url.protocol === "https:";
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(
      url,
      {
        method: "POST",
        agent: agents()[secure ? "https:" : "http:"],
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            location: res.headers.location,
            text: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** POSTs to the provider with the server's key: its answer, or a SpeechError saying why not. */
async function post(
  path: string,
  body: string,
  contentType?: string,
  timeoutMs = CALL_TIMEOUT_MS,
): Promise<Answer> {
  const { baseUrl, key } = speechEndpoint("realtime");
  const signal = AbortSignal.timeout(timeoutMs);
  let answer: Answer;
  try {
    answer = await request(
      new URL(`${baseUrl.replace(/\/+$/, "")}${path}`),
      body,
      {
        ...(contentType ? { "content-type": contentType } : {}),
        ...(key ? { authorization: `Bearer ${key}` } : {}),
      },
      signal,
    );
  } catch {
    throw new SpeechError(
      "realtime",
      signal.aborted ? "timeout" : "unreachable",
      signal.aborted
        ? "The realtime voice provider did not answer in time."
        : "The realtime voice provider cannot be reached.",
    );
  }
  if (answer.status < 200 || answer.status >= 300) throw failure(answer.status, answer.text);
  return answer;
}

/**
 * A multipart/form-data body of text fields, made whole (FormData's body goes out in pieces, and
 * costs more to make): the boundary is one that none of the values contains.
 */
export function multipart(fields: Record<string, string>): { body: string; contentType: string } {
  const values = Object.values(fields);
  let boundary: string;
  do boundary = `SomaAgent-${randomBytes(12).toString("hex")}`;
  while (values.some((v) => v.includes(boundary)));
  const parts = Object.entries(fields).map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return {
    body: `${parts.join("")}--${boundary}--\r\n`,
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/** Relays the page's offer: the provider's answer and its call id. */
export async function createRealtimeCall(offerSdp: string, session: object): Promise<RealtimeCallCreated> {
  const { body, contentType } = multipart({ sdp: offerSdp, session: JSON.stringify(session) });
  const started = performance.now();
  const { location, text } = await post("/realtime/calls", body, contentType);
  const providerCallId = (location ?? "").split("/").filter(Boolean).pop() ?? "";
  if (!providerCallId || !text.startsWith("v="))
    throw new SpeechError(
      "realtime",
      "failed",
      "The realtime voice provider gave an answer that is not usable.",
    );
  return { providerCallId, answerSdp: text, providerMs: performance.now() - started };
}

/** A short-lived client secret for the browser's own start (`ek_…`): it never reaches a log. */
export async function mintClientSecret(
  session: object,
  ttlSeconds: number,
): Promise<{ value: string; expiresAt: number }> {
  const { text } = await post(
    "/realtime/client_secrets",
    JSON.stringify({ expires_after: { anchor: "created_at", seconds: ttlSeconds }, session }),
    "application/json",
  );
  let body: { value?: unknown; expires_at?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = {};
  }
  if (typeof body.value !== "string" || !body.value)
    throw new SpeechError("realtime", "failed", "The realtime voice provider gave no usable client secret.");
  const expiresAt =
    typeof body.expires_at === "number" ? body.expires_at : Math.floor(Date.now() / 1000) + ttlSeconds;
  return { value: body.value, expiresAt };
}

/** Ends the provider's call (best effort: the sideband closing ends it too). */
export async function hangupRealtimeCall(providerCallId: string): Promise<void> {
  // A provider that cannot be told ends the call itself when its sideband closes: nothing to do.
  await post(`/realtime/calls/${encodeURIComponent(providerCallId)}/hangup`, "", undefined, 5_000).catch(
    () => undefined,
  );
}

/** Opens the call's sideband: the gateway's own WebSocket to the session, with the server's key. */
export function openSideband(providerCallId: string): Promise<WebSocket> {
  const { baseUrl, key } = speechEndpoint("realtime");
  const url = `${baseUrl.replace(/\/+$/, "").replace(/^http/, "ws")}/realtime?call_id=${encodeURIComponent(providerCallId)}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
      handshakeTimeout: 5_000,
    });
    ws.once("open", () => resolve(ws));
    ws.once("error", () =>
      reject(
        new SpeechError(
          "realtime",
          "unreachable",
          "The realtime voice provider's control channel cannot be reached.",
        ),
      ),
    );
    ws.once("unexpected-response", (_req, res) => reject(failure(res.statusCode ?? 502, "")));
  });
}
