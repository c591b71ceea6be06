// The project's OpenAI-compatible test provider, the one allowed stand-in: chat completions (with and
// without streaming, tool calls, scripted errors), models, embeddings (concepts.ts), speech-to-text and
// text-to-speech (espeak-ng speaks, pocketsphinx recognises the phrases of
// e2e/fixtures/voice/phrases.txt). Tests, Playwright and
// people trying the UI offline point the real `openai` client at it. It keeps a log of the requests
// it received (GET /__stub/requests) so a test can assert that none reached it. POST /__stub/faults
// {path, status, count} makes the next `count` requests to `path` fail with `status`. The OpenAI
// Realtime API over WebRTC (client secrets, calls, the sideband) is served by realtime/routes.ts.
import http from "node:http";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { countTokens, scriptReply, type StubReply } from "./script";
import { conceptEmbedding } from "./concepts";
import { multipartField, multipartFile, parseWav, resample } from "../../lib/audio/wav";
import { speak, SpeechUnavailable } from "./speech/espeak";
import { Recognizer } from "./speech/recognizer";
import { RealtimeStub, refuseUpgrade } from "./realtime/routes";
import { webrtcOptions, type WeriftPeerOptions } from "../../lib/voice/webrtc-options";
import { logger } from "../../lib/server/logger";

export const STUB_MODELS = [
  "stub-chat",
  "stub-embedding",
  "stub-realtime",
  "stub-stt",
  "stub-tts",
  "offline-demo",
  "offline-embedding",
  "offline-stt",
  "offline-tts",
  "gpt-4o-mini",
  "gpt-4o",
  "text-embedding-3-small",
];

const knownModel = (model: string) =>
  STUB_MODELS.includes(model) || model.startsWith("stub-") || model.startsWith("offline-");

export interface StubOptions {
  port?: number;
  host?: string;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Called as the first token of a streamed answer is written (benchmarks time the gateway with it). */
  onFirstToken?: (lastUserMessage: string) => void;
  /**
   * Called for each chat completion request with the time (ms since the epoch, sub-ms) its handler
   * started, before its body was read: when the request arrived (benchmarks time turn start with it).
   */
  onChatRequest?: (lastUserMessage: string, arrivedAt: number) => void;
  /** Where realtime calls offer media (default: SOMA_WEBRTC_HOST / SOMA_WEBRTC_PORTS, as the gateway). */
  webrtc?: WeriftPeerOptions;
  /** Called as a realtime call sends each server event (benchmarks time the relay with it). */
  onRealtimeEvent?: (callId: string, event: Record<string, unknown>) => void;
}

export interface StubRequestLog {
  path: string;
  model?: string;
  stream?: boolean;
  messages?: number;
  at: string;
}

export interface StubServer {
  url: string;
  port: number;
  requests: StubRequestLog[];
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function apiError(res: http.ServerResponse, status: number, message: string, code: string, headers = {}) {
  send(res, status, { error: { message, type: "invalid_request_error", code } }, headers);
}

async function readBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString("utf8");
  return raw ? JSON.parse(raw) : {};
}

interface ChatBody {
  model?: string;
  stream?: boolean;
  messages?: { role: string; content?: unknown }[];
  stream_options?: { include_usage?: boolean };
}

async function chat(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body: ChatBody,
  onFirstToken?: (lastUserMessage: string) => void,
): Promise<void> {
  const messages = body.messages ?? [];
  const model = body.model ?? "stub-chat";
  const reply: StubReply = scriptReply(messages, model);
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const promptTokens = countTokens(JSON.stringify(messages));
  if (reply.kind === "error") {
    const headers: Record<string, string> = reply.status === 429 ? { "retry-after": "1" } : {};
    return apiError(
      res,
      reply.status,
      reply.message,
      reply.status === 429 ? "rate_limit_exceeded" : "server_error",
      headers,
    );
  }
  const completionText = reply.kind === "text" ? reply.chunks.join("") : JSON.stringify(reply.calls);
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: countTokens(completionText),
    total_tokens: promptTokens + countTokens(completionText),
  };
  const toolCalls =
    reply.kind === "tools"
      ? reply.calls.map((c, index) => ({
          index,
          id: `call_${randomUUID().replace(/-/g, "").slice(0, 24)}`,
          type: "function" as const,
          function: { name: c.name, arguments: c.arguments },
        }))
      : [];

  if (!body.stream) {
    await sleep(reply.delayMs);
    return send(res, 200, {
      id,
      object: "chat.completion",
      created,
      model,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: reply.kind === "text" ? completionText : null,
            ...(toolCalls.length ? { tool_calls: toolCalls.map(({ index: _i, ...c }) => c) } : {}),
          },
          finish_reason: toolCalls.length ? "tool_calls" : "stop",
        },
      ],
      usage,
    });
  }

  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  let closed = false;
  req.on("close", () => (closed = true));
  res.on("close", () => (closed = true));
  const chunk = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  res.write(chunk({ role: "assistant", content: "" }));
  if (reply.kind === "text") {
    for (const [i, piece] of reply.chunks.entries()) {
      if (closed) return;
      if (reply.failAfter !== undefined && i === reply.failAfter) {
        res.write(
          `data: ${JSON.stringify({ error: { message: "The server had an error while processing your request.", type: "server_error", code: "500" } })}\n\n`,
        );
        res.end();
        return;
      }
      await sleep(reply.delayMs);
      if (i === 0 && onFirstToken) {
        const lastUser = messages.filter((m) => m.role === "user").at(-1)?.content;
        onFirstToken(typeof lastUser === "string" ? lastUser : "");
      }
      res.write(chunk({ content: piece }));
    }
  } else {
    for (const call of toolCalls) {
      await sleep(reply.delayMs);
      if (closed) return;
      // Arguments arrive in two pieces, as real providers stream them.
      const args = call.function.arguments;
      const half = Math.floor(args.length / 2);
      res.write(
        chunk({
          tool_calls: [
            {
              index: call.index,
              id: call.id,
              type: "function",
              function: { name: call.function.name, arguments: args.slice(0, half) },
            },
          ],
        }),
      );
      res.write(chunk({ tool_calls: [{ index: call.index, function: { arguments: args.slice(half) } }] }));
    }
  }
  if (closed) return;
  res.write(chunk({}, reply.kind === "tools" ? "tool_calls" : "stop"));
  if (body.stream_options?.include_usage)
    res.write(
      `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [], usage })}\n\n`,
    );
  res.write("data: [DONE]\n\n");
  res.end();
}

export async function startStubProvider(opts: StubOptions = {}): Promise<StubServer> {
  const requests: StubRequestLog[] = [];
  /** Injected failures by path: the next `count` requests get `status` (POST /__stub/faults). */
  const faults = new Map<string, { status: number; count: number }>();
  const recognizer = new Recognizer();
  const log = logger().child({ component: "provider-stub" });
  const realtime = new RealtimeStub({
    recognizer,
    webrtc: opts.webrtc ?? webrtcOptions(),
    log,
    ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
    ...(opts.onRealtimeEvent ? { onEvent: opts.onRealtimeEvent } : {}),
  });
  const takeFault = (path: string) => {
    const fault = faults.get(path);
    if (!fault || fault.count <= 0) return undefined;
    fault.count--;
    return fault;
  };
  const server = http.createServer((req, res) => {
    const arrivedAt = performance.timeOrigin + performance.now();
    void (async () => {
      const url = new URL(req.url ?? "/", "http://stub");
      const path = url.pathname.replace(/\/+$/, "");
      if (path === "/__stub/requests") {
        if (req.method === "DELETE") requests.length = 0;
        return send(res, 200, { count: requests.length, requests });
      }
      if (path === "/healthz") return send(res, 200, { status: "ok" });
      if (path === "/__stub/faults" && req.method === "POST") {
        const f = (await readBody(req).catch(() => ({}))) as {
          path?: unknown;
          status?: unknown;
          count?: unknown;
        };
        if (typeof f.path !== "string" || typeof f.status !== "number")
          return apiError(res, 400, "faults need {path, status, count?}", "invalid_request");
        faults.set(f.path, { status: f.status, count: typeof f.count === "number" ? f.count : 1 });
        return send(res, 200, { path: f.path, status: f.status });
      }
      if (path === "/__stub/faults" && req.method === "DELETE") {
        faults.clear();
        return send(res, 200, {});
      }
      if (path === "/__stub/realtime/close-sidebands" && req.method === "POST") {
        const b = (await readBody(req).catch(() => ({}))) as { call_id?: unknown };
        const callId = typeof b.call_id === "string" ? b.call_id : undefined;
        return send(res, 200, { closed: realtime.closeSidebands(callId) });
      }
      const fault = takeFault(path);
      if (fault) {
        for await (const _ of req); // drain the body
        return apiError(res, fault.status, `injected fault ${fault.status}`, "server_error");
      }
      if (path.startsWith("/v1/realtime")) {
        requests.push({ path, at: new Date().toISOString() });
        return realtime.handle(req, res, path);
      }
      if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`)
        return apiError(res, 401, "Incorrect API key provided.", "invalid_api_key");
      if (path === "/v1/audio/transcriptions" && req.method === "POST") {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const raw = Buffer.concat(chunks);
        const model = multipartField(raw, "model") ?? "";
        requests.push({ path, model, at: new Date().toISOString() });
        if (!knownModel(model))
          return apiError(res, 404, `The model '${model}' does not exist.`, "model_not_found");
        const file = multipartFile(raw, "file");
        const wav = file && parseWav(file);
        if (!wav)
          return apiError(res, 400, "The offline recogniser reads 16-bit PCM WAV audio.", "invalid_audio");
        // A client that gives up (a speculative transcription dropped) takes its job out of the queue.
        const gone = new AbortController();
        res.on("close", () => {
          if (!res.writableFinished) gone.abort(new Error("the client went away"));
        });
        try {
          // The demo model also tries outside the known phrases (rough); the test models never do.
          const text = await recognizer.transcribe(
            resample(wav.samples, wav.sampleRate, 16_000),
            model.startsWith("offline-"),
            gone.signal,
          );
          // stream=true: the words as transcript.text.delta events, then transcript.text.done (as OpenAI).
          if (multipartField(raw, "stream") === "true") {
            res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
            for (const word of text.split(/(?<= )/).filter(Boolean))
              res.write(`data: ${JSON.stringify({ type: "transcript.text.delta", delta: word })}\n\n`);
            res.write(`data: ${JSON.stringify({ type: "transcript.text.done", text })}\n\n`);
            return res.end();
          }
          return send(res, 200, { text });
        } catch (err) {
          if (gone.signal.aborted) return; // nobody to answer
          if (err instanceof SpeechUnavailable) return apiError(res, 503, err.message, "speech_unavailable");
          throw err;
        }
      }
      const modelPath = /^\/v1\/models\/(.+)$/.exec(path);
      if (modelPath && req.method === "GET") {
        const id = decodeURIComponent(modelPath[1]!);
        requests.push({ path, model: id, at: new Date().toISOString() });
        return knownModel(id)
          ? send(res, 200, { id, object: "model", created: 0, owned_by: "somaagent-stub" })
          : apiError(res, 404, `The model '${id}' does not exist.`, "model_not_found");
      }
      let body: Record<string, unknown>;
      try {
        body = (await readBody(req)) as Record<string, unknown>;
      } catch {
        return apiError(res, 400, "The request body is not valid JSON.", "invalid_json");
      }
      const model = typeof body.model === "string" ? body.model : undefined;
      if (path.startsWith("/v1/"))
        requests.push({
          path,
          ...(model ? { model } : {}),
          ...(typeof body.stream === "boolean" ? { stream: body.stream } : {}),
          ...(Array.isArray(body.messages) ? { messages: body.messages.length } : {}),
          at: new Date().toISOString(),
        });
      if (path === "/v1/models" && req.method === "GET")
        return send(res, 200, {
          object: "list",
          data: STUB_MODELS.map((id) => ({ id, object: "model", created: 0, owned_by: "somaagent-stub" })),
        });
      if (model !== undefined && !knownModel(model))
        return apiError(res, 404, `The model '${model}' does not exist.`, "model_not_found");
      if (path === "/v1/chat/completions" && req.method === "POST") {
        if (opts.onChatRequest && Array.isArray(body.messages)) {
          const lastUser = (body.messages as { role?: unknown; content?: unknown }[])
            .filter((m) => m.role === "user")
            .at(-1)?.content;
          opts.onChatRequest(typeof lastUser === "string" ? lastUser : "", arrivedAt);
        }
        return chat(req, res, body, opts.onFirstToken);
      }
      if (path === "/v1/embeddings" && req.method === "POST") {
        const input = (Array.isArray(body.input) ? body.input : [body.input]).map((v) =>
          typeof v === "string" ? v : JSON.stringify(v ?? ""),
        );
        const dims = typeof body.dimensions === "number" ? body.dimensions : 256;
        return send(res, 200, {
          object: "list",
          model: model ?? "stub-embedding",
          // The openai SDK asks for base64 (little-endian float32) unless told otherwise.
          data: input.map((s, index) => {
            const vector = conceptEmbedding(s, dims);
            return {
              object: "embedding",
              index,
              embedding:
                body.encoding_format === "base64"
                  ? Buffer.from(new Float32Array(vector).buffer).toString("base64")
                  : vector,
            };
          }),
          usage: { prompt_tokens: countTokens(input.join(" ")), total_tokens: countTokens(input.join(" ")) },
        });
      }
      if (path === "/v1/audio/speech" && req.method === "POST") {
        const voice = typeof body.voice === "string" ? body.voice : "alloy";
        const text = typeof body.input === "string" ? body.input : "";
        const speed = typeof body.speed === "number" ? body.speed : 1;
        if (!text) return apiError(res, 400, "input is required", "invalid_request");
        let wav: Buffer;
        try {
          wav = await speak(text, voice, speed);
        } catch (err) {
          if (err instanceof SpeechUnavailable) return apiError(res, 503, err.message, "speech_unavailable");
          throw err;
        }
        // "pcm" is raw 24 kHz 16-bit mono, as OpenAI sends it; every other format is answered as WAV.
        const pcm = body.response_format === "pcm";
        const audio = pcm ? wav.subarray(44) : wav;
        res.writeHead(200, {
          "content-type": pcm ? "audio/pcm" : "audio/wav",
          "content-length": audio.length,
        });
        return res.end(audio);
      }
      return apiError(res, 404, `Unknown endpoint ${req.method} ${path}`, "unknown_url");
    })().catch((err: unknown) => {
      log.error({ err, url: req.url }, "stub failure");
      if (!res.headersSent) apiError(res, 500, "stub failure", "server_error");
      else res.end();
    });
  });
  server.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://stub");
    const path = url.pathname.replace(/\/+$/, "");
    requests.push({ path, at: new Date().toISOString() });
    const fault = takeFault(path);
    if (fault) return refuseUpgrade(socket, fault.status, "server_error", `injected fault ${fault.status}`);
    if (path !== "/v1/realtime") return refuseUpgrade(socket, 404, "unknown_url", `Unknown endpoint ${path}`);
    realtime.upgrade(req, socket, head, url);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? "127.0.0.1"}:${port}/v1`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        realtime.close();
        recognizer.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
