// The streamed chat completion a turn asks of its model provider: `POST {baseUrl}/chat/completions`
// over node:http(s) with a keep-alive agent, read with the project's SSE parser (lib/http/sse-parse).
// It replaces the openai SDK's `chat.completions.create` on this one path, the hottest the gateway
// has: measured with 200 requests at once (bench/provider-client.ts), the SDK (fetch, web streams,
// its request pipeline) cost 0.33–0.44 ms of CPU a request and about 6 µs a chunk, this 0.11–0.13 ms
// and about 2 µs, paid for every turn and every token. What a caller sees is the SDK's behaviour, kept:
//  - retries (2 by default) on a connection error, a timeout, 408, 409, 429 and 5xx, or as the
//    provider's `x-should-retry` says, after `retry-after-ms` / `retry-after` when it gives one under
//    60 s, else 0.5 s, 1 s, … (at most 8 s) less up to 25 % jitter; never once the answer has begun;
//  - the timeout (120 s by default) is for the response to begin;
//  - failures are the SDK's error classes (APIConnectionError, APIConnectionTimeoutError,
//    APIUserAbortError, APIError and its subclasses by status), so describeProviderError reads them;
//  - an `error` event or a chunk carrying `error` fails the answer mid-way (APIError, no status), and
//    so does a connection that closes before the answer's end (the SDK ended such a stream quietly;
//    here the turn says its answer was cut off).
import http from "node:http";
import https from "node:https";
import OpenAI from "openai";
import { SseParser } from "../http/sse-parse";

export type ChatChunk = OpenAI.Chat.Completions.ChatCompletionChunk;
export type ChatRequest = Omit<OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming, "stream">;

export interface ChatEndpoint {
  /** The API root, as in settings (`…/v1`). */
  baseUrl: string;
  apiKey: string;
}

export interface ChatStreamOptions {
  signal?: AbortSignal;
  /** For the response to begin, each try. */
  timeoutMs?: number;
  maxRetries?: number;
}

// An outbound proxy from HTTP(S)_PROXY / NO_PROXY when Node is told to use one
// (NODE_USE_ENV_PROXY=1 or --use-env-proxy), as fetch, and so the SDK, did: an agent of one's own
// only does so when given the environment.
const useEnvProxy =
  process.env.NODE_USE_ENV_PROXY === "1" ||
  process.execArgv.includes("--use-env-proxy") ||
  (process.env.NODE_OPTIONS ?? "").includes("--use-env-proxy");
const agentOptions = { keepAlive: true, ...(useEnvProxy ? { proxyEnv: process.env } : {}) };
const agents = { "http:": new http.Agent(agentOptions), "https:": new https.Agent(agentOptions) };
/** An error body is read up to this much (the rest is not a message anyone reads). */
const ERROR_BODY_LIMIT = 64 * 1024;
const RETRY_AFTER_LIMIT_MS = 60_000;

/**
 * Sends the request and resolves once the provider's answer has begun (after any retries): then the
 * chunks of the answer, in order. A caller that stops reading early ends the request with `return()`
 * (a `break` out of `for await` does).
 */
export async function openChatStream(
  endpoint: ChatEndpoint,
  request: ChatRequest,
  options: ChatStreamOptions = {},
): Promise<AsyncGenerator<ChatChunk>> {
  const res = await respond(endpoint, JSON.stringify({ ...request, stream: true }), options);
  return readChunks(res, options.signal);
}

async function respond(
  endpoint: ChatEndpoint,
  body: string,
  { signal, timeoutMs = 120_000, maxRetries = 2 }: ChatStreamOptions,
): Promise<http.IncomingMessage> {
  const url = new URL(`${endpoint.baseUrl.replace(/\/+$/, "")}/chat/completions`);
  for (let retriesLeft = maxRetries; ; retriesLeft--) {
    let res: http.IncomingMessage;
    try {
      res = await send(url, endpoint.apiKey, body, timeoutMs, signal);
    } catch (err) {
      if (err instanceof OpenAI.APIUserAbortError || retriesLeft === 0) throw err;
      await sleep(retryDelayMs(undefined, retriesLeft, maxRetries), signal);
      continue;
    }
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    const retry = retriesLeft > 0 && shouldRetry(status, res.headers);
    const error = await statusError(res, status);
    if (!retry) throw error;
    await sleep(retryDelayMs(res.headers, retriesLeft, maxRetries), signal);
  }
}

function send(
  url: URL,
  apiKey: string,
  body: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new OpenAI.APIUserAbortError());
    const transport = url.protocol === "https:" ? https : http;
    const agent = agents[url.protocol as keyof typeof agents];
    if (!agent) return reject(new OpenAI.APIConnectionError({ message: `Unsupported URL: ${url.protocol}` }));
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      fn();
    };
    const req = transport.request(url, {
      method: "POST",
      agent,
      headers: {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
        accept: "text/event-stream",
        authorization: `Bearer ${apiKey}`,
        "user-agent": "SomaAgent",
      },
    });
    const onAbort = () => {
      req.destroy();
      settle(() => reject(new OpenAI.APIUserAbortError()));
    };
    const timer = setTimeout(() => {
      req.destroy();
      settle(() => reject(new OpenAI.APIConnectionTimeoutError()));
    }, timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    req.on("response", (res) => settle(() => resolve(res)));
    req.on("error", (err) => settle(() => reject(new OpenAI.APIConnectionError({ cause: err }))));
    req.end(body);
  });
}

async function* readChunks(
  res: http.IncomingMessage,
  signal: AbortSignal | undefined,
): AsyncGenerator<ChatChunk> {
  const parser = new SseParser();
  const onAbort = () => res.destroy();
  if (signal?.aborted) {
    // Stopped between the answer's start and the first read: no listener would hear it now.
    res.destroy();
    throw new OpenAI.APIUserAbortError();
  }
  signal?.addEventListener("abort", onAbort, { once: true });
  let finished = false;
  res.setEncoding("utf8");
  try {
    // Not destroyed on leaving at [DONE]: what is left of the response is drained (finally).
    for await (const text of res.iterator({ destroyOnReturn: false }) as AsyncIterable<string>) {
      for (const event of parser.push(text)) {
        if (event.data === "[DONE]") {
          finished = true;
          return;
        }
        const data = parseEvent(event.data);
        if (event.event === "error")
          throw new OpenAI.APIError(undefined, data?.error ?? data ?? undefined, undefined, undefined);
        if (data?.error) throw new OpenAI.APIError(undefined, data.error, undefined, undefined);
        yield data as ChatChunk;
      }
    }
    finished = true;
  } catch (err) {
    if (signal?.aborted) throw new OpenAI.APIUserAbortError();
    if (err instanceof OpenAI.APIError || err instanceof SyntaxError) throw err;
    throw new OpenAI.APIError(
      undefined,
      { message: "the connection closed before the answer's end" },
      undefined,
      undefined,
    );
  } finally {
    signal?.removeEventListener("abort", onAbort);
    // Read to its end, the connection goes back to the agent; left before (the caller stopped
    // reading, or a failure), it is not reused.
    if (finished) res.resume();
    else res.destroy();
  }
}

function parseEvent(data: string): { error?: unknown } | null {
  try {
    return JSON.parse(data) as { error?: unknown } | null;
  } catch {
    throw new SyntaxError("Error reading response: malformed server-sent event JSON.");
  }
}

async function statusError(res: http.IncomingMessage, status: number): Promise<Error> {
  let text = "";
  try {
    res.setEncoding("utf8");
    for await (const piece of res as AsyncIterable<string>) {
      if (text.length < ERROR_BODY_LIMIT) text += piece;
    }
  } catch {
    // What arrived of the body is the message.
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return OpenAI.APIError.generate(
    status,
    json as object | undefined,
    json ? undefined : text,
    webHeaders(res.headers),
  );
}

function webHeaders(headers: http.IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (Array.isArray(value)) for (const v of value) out.append(name, v);
    else if (value !== undefined) out.set(name, value);
  }
  return out;
}

/** As the SDK decides (openai's client.js shouldRetry). */
export function shouldRetry(status: number, headers: http.IncomingHttpHeaders): boolean {
  const says = headers["x-should-retry"];
  if (says === "true") return true;
  if (says === "false") return false;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** As the SDK waits (openai's client.js retryRequest): the provider's word if under 60 s, else backoff. */
export function retryDelayMs(
  headers: http.IncomingHttpHeaders | undefined,
  retriesLeft: number,
  maxRetries: number,
  now = Date.now(),
  random = Math.random,
): number {
  let ms: number | undefined;
  const afterMs = Number.parseFloat(String(headers?.["retry-after-ms"] ?? ""));
  if (!Number.isNaN(afterMs)) ms = afterMs;
  const after = headers?.["retry-after"];
  if (after && ms === undefined) {
    const seconds = Number.parseFloat(after);
    ms = Number.isNaN(seconds) ? Date.parse(after) - now : seconds * 1000;
  }
  if (ms === undefined || !Number.isFinite(ms) || ms < 0 || ms > RETRY_AFTER_LIMIT_MS) {
    const seconds = Math.min(0.5 * 2 ** (maxRetries - retriesLeft), 8);
    ms = seconds * (1 - random() * 0.25) * 1000;
  }
  return ms;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new OpenAI.APIUserAbortError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new OpenAI.APIUserAbortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
