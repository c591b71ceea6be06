// The realtime provider, from the gateway (OpenAI Realtime GA over WebRTC, or anything speaking it):
// the page's SDP offer is relayed to `{baseUrl}/realtime/calls` with the server's key and a session
// the gateway builds, and the gateway keeps the call through its own sideband WebSocket. The key
// stays here: the page gets only the SDP answer.
import WebSocket from "ws";
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

/** POSTs to the provider with the server's key: the answer's text, or a SpeechError saying why not. */
async function post(
  path: string,
  body: BodyInit,
  contentType?: string,
): Promise<{ res: Response; text: string }> {
  const { baseUrl, key } = speechEndpoint("realtime");
  let res: Response;
  try {
    res = await fetch(`${baseUrl.replace(/\/+$/, "")}${path}`, {
      method: "POST",
      body,
      headers: {
        ...(contentType ? { "content-type": contentType } : {}),
        ...(key ? { authorization: `Bearer ${key}` } : {}),
      },
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
  } catch (err) {
    const timeout = (err as Error).name === "TimeoutError";
    throw new SpeechError(
      "realtime",
      timeout ? "timeout" : "unreachable",
      timeout
        ? "The realtime voice provider did not answer in time."
        : "The realtime voice provider cannot be reached.",
    );
  }
  const text = await res.text();
  if (!res.ok) throw failure(res.status, text);
  return { res, text };
}

/** Relays the page's offer: the provider's answer and its call id. */
export async function createRealtimeCall(offerSdp: string, session: object): Promise<RealtimeCallCreated> {
  const form = new FormData();
  form.set("sdp", offerSdp);
  form.set("session", JSON.stringify(session));
  const started = performance.now();
  const { res, text } = await post("/realtime/calls", form);
  const location = res.headers.get("location") ?? "";
  const providerCallId = location.split("/").filter(Boolean).pop() ?? "";
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
  const { baseUrl, key } = speechEndpoint("realtime");
  await fetch(`${baseUrl.replace(/\/+$/, "")}/realtime/calls/${encodeURIComponent(providerCallId)}/hangup`, {
    method: "POST",
    headers: key ? { authorization: `Bearer ${key}` } : {},
    signal: AbortSignal.timeout(5_000),
  }).catch(() => undefined);
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
