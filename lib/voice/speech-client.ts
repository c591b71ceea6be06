// The gateway's client of the speech services in settings (`speech.stt`, `speech.tts`): any
// OpenAI-compatible /audio/transcriptions and /audio/speech, keys from the environment or the
// settings panel, the offline provider when nothing is configured. Keys never leave this module.
import { getConfig, readSecret } from "../config";
import { OFFLINE_PROVIDER } from "../config/offline-fallback";
import { providerKey } from "../settings/provider-keys";
import { wavFromSamples } from "../audio/wav";
import { SseParser } from "../http/sse-parse";
import { INPUT_RATE, OUTPUT_RATE } from "./media-peer";

export type SpeechRole = "stt" | "tts" | "realtime";

const ROLE_NAME: Record<SpeechRole, string> = {
  stt: "speech to text",
  tts: "text to speech",
  realtime: "realtime voice",
};

const STT_TIMEOUT_MS = 10_000;
const TTS_TIMEOUT_MS = 15_000;

/** A speech service failed: `message` is fit to show to the person in the call. */
export class SpeechError extends Error {
  constructor(
    readonly role: SpeechRole,
    readonly code: "unconfigured" | "timeout" | "unreachable" | "auth" | "failed",
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface SpeechStatus {
  configured: boolean;
  provider: string;
  model: string;
  /** Runs on the offline engines (espeak-ng, pocketsphinx): the UI says so. */
  offline: boolean;
  reason?: string;
}

function target(role: SpeechRole) {
  const { settings, providers } = getConfig();
  const s = settings.speech[role];
  const group = `speech.${role}`;
  const key = providerKey(group, s.apiKeyEnv, s.baseUrl);
  const keyRequired = providers[s.provider]?.keyRequired ?? true;
  return { s, key, keyRequired, label: providers[s.provider]?.label ?? s.provider };
}

/**
 * Where a speech service is and the key for it, for the gateway's own requests only (the realtime
 * relay and sideband): the key must never reach a page, a log or an error message.
 */
export function speechEndpoint(role: SpeechRole): {
  baseUrl: string;
  model: string;
  key: string | undefined;
} {
  const { s, key } = target(role);
  return { baseUrl: s.baseUrl, model: s.model, key };
}

export function speechStatus(role: SpeechRole): SpeechStatus {
  const { s, key, keyRequired, label } = target(role);
  const base = { provider: s.provider, model: s.model, offline: s.provider === OFFLINE_PROVIDER };
  if (keyRequired && !key)
    return {
      ...base,
      configured: false,
      reason:
        readSecret(s.apiKeyEnv) !== undefined
          ? `The key in ${s.apiKeyEnv} is only sent to the address it belongs to, not ${s.baseUrl}.`
          : `No API key for ${label} (${ROLE_NAME[role]}): enter one in Settings → Voice or set ${s.apiKeyEnv}.`,
    };
  return { ...base, configured: true };
}

async function post(role: SpeechRole, path: string, body: BodyInit, timeoutMs: number, signal?: AbortSignal) {
  const { s, key } = target(role);
  const status = speechStatus(role);
  if (!status.configured) throw new SpeechError(role, "unconfigured", status.reason ?? "Not configured.");
  const what = role === "stt" ? "speech recognition" : "the voice";
  const url = `${s.baseUrl.replace(/\/+$/, "")}${path}`;
  for (let attempt = 0; ; attempt++) {
    const timeout = AbortSignal.timeout(timeoutMs);
    let res: Response;
    try {
      res = await fetch(url, {
        method: "POST",
        body,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(typeof body === "string" ? { "content-type": "application/json" } : {}),
        },
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      if (timeout.aborted)
        throw new SpeechError(
          role,
          "timeout",
          `The provider of ${what} at ${s.baseUrl} did not answer in time.`,
        );
      throw new SpeechError(role, "unreachable", `Cannot reach the provider of ${what} at ${s.baseUrl}.`);
    }
    if (res.ok) return res;
    await res.body?.cancel().catch(() => undefined);
    if (res.status >= 500 && attempt === 0) continue; // one retry on a server error
    if (res.status === 401 || res.status === 403)
      throw new SpeechError(
        role,
        "auth",
        `The provider of ${what} refused the API key (${res.status}).`,
        res.status,
      );
    throw new SpeechError(role, "failed", `The provider of ${what} failed (HTTP ${res.status}).`, res.status);
  }
}

/**
 * Models that stream their transcript (`stream=true`: server-sent `transcript.text.delta` events),
 * so captions fill in while the words are recognised: OpenAI's gpt-4o transcribe models and the
 * project's own provider. Others (whisper-1, most local servers) answer once.
 */
export function streamsTranscript(model: string): boolean {
  return /^gpt-4o(-mini)?-transcribe/.test(model) || /^(stub|offline)-stt$/.test(model);
}

/** The words in 16 kHz mono PCM ("" when there are none); `onPartial` sees the text so far. */
export async function transcribe(
  pcm: Int16Array,
  signal?: AbortSignal,
  onPartial?: (text: string) => void,
): Promise<string> {
  const s = getConfig().settings.speech.stt;
  const form = new FormData();
  form.set(
    "file",
    new Blob([new Uint8Array(wavFromSamples(pcm, INPUT_RATE))], { type: "audio/wav" }),
    "speech.wav",
  );
  form.set("model", s.model);
  form.set("response_format", "json");
  const stream = Boolean(onPartial) && streamsTranscript(s.model);
  if (stream) form.set("stream", "true");
  if (s.language) form.set("language", s.language.split("-")[0]!);
  const res = await post("stt", "/audio/transcriptions", form, STT_TIMEOUT_MS, signal);
  if (stream && res.headers.get("content-type")?.startsWith("text/event-stream"))
    return readTranscriptStream(res, onPartial!);
  const body = (await res.json().catch(() => ({}))) as { text?: unknown };
  return typeof body.text === "string" ? body.text.trim() : "";
}

async function readTranscriptStream(res: Response, onPartial: (text: string) => void): Promise<string> {
  const decoder = new TextDecoder();
  const sse = new SseParser();
  let text = "";
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    for (const { data } of sse.push(decoder.decode(chunk, { stream: true }))) {
      if (data === "[DONE]") continue;
      let e: { type?: string; delta?: unknown; text?: unknown };
      try {
        e = JSON.parse(data) as typeof e;
      } catch {
        continue;
      }
      if (e.type === "transcript.text.delta" && typeof e.delta === "string") {
        text += e.delta;
        onPartial(text.trim());
      } else if (e.type === "transcript.text.done" && typeof e.text === "string") return e.text.trim();
    }
  }
  return text.trim();
}

/** Speaks `text` as 24 kHz mono PCM, delivered in chunks as the provider streams it. */
export async function synthesize(
  text: string,
  onAudio: (pcm: Int16Array) => void,
  signal?: AbortSignal,
): Promise<void> {
  const s = getConfig().settings.speech.tts;
  const res = await post(
    "tts",
    "/audio/speech",
    JSON.stringify({ model: s.model, voice: s.voice, input: text, speed: s.speed, response_format: "pcm" }),
    TTS_TIMEOUT_MS,
    signal,
  );
  let carry: Uint8Array | undefined;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    let bytes = chunk;
    if (carry) {
      bytes = new Uint8Array(carry.length + chunk.length);
      bytes.set(carry);
      bytes.set(chunk, carry.length);
      carry = undefined;
    }
    const even = bytes.length & ~1;
    if (even < bytes.length) carry = bytes.slice(even);
    if (even === 0) continue;
    const copy = bytes.slice(0, even);
    onAudio(new Int16Array(copy.buffer, copy.byteOffset, even / 2));
  }
}

export const TTS_RATE = OUTPUT_RATE;
