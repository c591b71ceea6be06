// The turn's provider client (lib/agent/chat-stream.ts) against a loopback server of this test's own:
// chunks in order across any split, the SDK's retry rules and error classes, abort, timeout, and an
// answer cut off mid-way.
import http from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { openChatStream, retryDelayMs, type ChatChunk } from "@/lib/agent/chat-stream";

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;
let handler: Handler = () => undefined;
const seen: { body: string; auth?: string; port: number }[] = [];
const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (d: Buffer) => (body += d.toString()));
  req.on("end", () => {
    seen.push({ body, auth: req.headers.authorization, port: req.socket.remotePort ?? 0 });
    handler(req, res, body);
  });
});
let baseUrl = "";
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
afterEach(() => {
  seen.length = 0;
});

const endpoint = () => ({ baseUrl, apiKey: "sk-test" });
const request = { model: "m", messages: [{ role: "user" as const, content: "hi" }] };
const chunk = (content: string) =>
  JSON.stringify({
    id: "c",
    object: "chat.completion.chunk",
    created: 1,
    model: "m",
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  });

async function collect(stream: AsyncGenerator<ChatChunk>): Promise<string> {
  let text = "";
  for await (const c of stream) text += c.choices[0]?.delta?.content ?? "";
  return text;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a failure");
}

describe("openChatStream", () => {
  it("reads the answer's chunks in order however the bytes are split, and reuses the connection", async () => {
    const wire = `data: ${chunk("Hello")}\r\n\r\n: a comment\n\ndata: ${chunk(", world")}\n\ndata: [DONE]\n\n`;
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      // One byte at a time across CRLF and the blank lines.
      let i = 0;
      const step = () => (i < wire.length ? (res.write(wire[i++]), setImmediate(step)) : res.end());
      step();
    };
    expect(await collect(await openChatStream(endpoint(), request))).toBe("Hello, world");
    // [DONE] ends the reading; the rest of the response (its last chunk) is drained, then the
    // connection is free again.
    await new Promise((r) => setTimeout(r, 50));
    expect(await collect(await openChatStream(endpoint(), request))).toBe("Hello, world");
    expect(JSON.parse(seen[0]!.body)).toMatchObject({ model: "m", stream: true, messages: request.messages });
    expect(seen[0]!.auth).toBe("Bearer sk-test");
    expect(seen[1]!.port).toBe(seen[0]!.port);
  });

  it("retries a 429 after the provider's retry-after-ms, then streams", async () => {
    let calls = 0;
    handler = (_req, res) => {
      if (calls++ === 0) {
        res.writeHead(429, { "content-type": "application/json", "retry-after-ms": "20" });
        return res.end(JSON.stringify({ error: { message: "slow down" } }));
      }
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`data: ${chunk("ok")}\n\ndata: [DONE]\n\n`);
    };
    expect(await collect(await openChatStream(endpoint(), request))).toBe("ok");
    expect(seen).toHaveLength(2);
  });

  it("gives up after the retries with the SDK's error for the status", async () => {
    handler = (_req, res) => {
      res.writeHead(503, { "content-type": "application/json", "retry-after-ms": "1" });
      res.end(JSON.stringify({ error: { message: "overloaded" } }));
    };
    const err = await failure(openChatStream(endpoint(), request, { maxRetries: 2 }));
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect(err.message).toBe("503 overloaded");
    expect(seen).toHaveLength(3);
  });

  it("does not retry a 400, a 401, or a 500 the provider says not to retry", async () => {
    for (const [status, headers, Class] of [
      [400, {}, OpenAI.BadRequestError],
      [401, {}, OpenAI.AuthenticationError],
      [500, { "x-should-retry": "false" }, OpenAI.InternalServerError],
    ] as const) {
      seen.length = 0;
      handler = (_req, res) => {
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(JSON.stringify({ error: { message: `no (${status})` } }));
      };
      const err = await failure(openChatStream(endpoint(), request));
      expect(err).toBeInstanceOf(Class);
      expect((err as InstanceType<typeof OpenAI.APIError>).error).toEqual({ message: `no (${status})` });
      expect(seen).toHaveLength(1);
    }
  });

  it("fails mid-answer on an error event, keeping what came before", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`data: ${chunk("partial")}\n\nevent: error\ndata: {"error":{"message":"boom"}}\n\n`);
    };
    const stream = await openChatStream(endpoint(), request);
    const texts: string[] = [];
    const err = await failure(
      (async () => {
        for await (const c of stream) texts.push(c.choices[0]?.delta?.content ?? "");
      })(),
    );
    expect(texts).toEqual(["partial"]);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBeUndefined();
    expect(err.message).toBe("boom");
  });

  it("fails mid-answer when the connection closes before the answer's end", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: ${chunk("cut")}\n\n`);
      setTimeout(() => res.socket?.destroy(), 20);
    };
    const err = await failure(collect(await openChatStream(endpoint(), request)));
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).not.toBeInstanceOf(OpenAI.APIConnectionError);
    expect(err.message).toMatch(/closed before the answer's end/);
  });

  it("rejects data that is not JSON", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end("data: {not json\n\n");
    };
    expect(await failure(collect(await openChatStream(endpoint(), request)))).toBeInstanceOf(SyntaxError);
  });

  it("stops on abort: before the answer begins and while it streams", async () => {
    handler = () => undefined; // never answers
    const early = new AbortController();
    setTimeout(() => early.abort(), 30);
    expect(await failure(openChatStream(endpoint(), request, { signal: early.signal }))).toBeInstanceOf(
      OpenAI.APIUserAbortError,
    );

    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: ${chunk("one")}\n\n`); // and never ends
    };
    const late = new AbortController();
    const stream = await openChatStream(endpoint(), request, { signal: late.signal });
    const err = failure(
      (async () => {
        for await (const _ of stream) late.abort();
      })(),
    );
    expect(await err).toBeInstanceOf(OpenAI.APIUserAbortError);
  });

  it("times out when the answer does not begin in time, after its retries", async () => {
    handler = () => undefined;
    const started = Date.now();
    const err = await failure(openChatStream(endpoint(), request, { timeoutMs: 50, maxRetries: 0 }));
    expect(err).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("says the provider cannot be reached when nothing listens", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const err = await failure(
      openChatStream({ baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: "k" }, request, { maxRetries: 0 }),
    );
    expect(err).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(err).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });
});

describe("retryDelayMs", () => {
  const now = Date.parse("2026-12-04T12:00:00Z");
  it("takes the provider's word under 60 s: retry-after-ms, then retry-after in seconds or as a date", () => {
    expect(retryDelayMs({ "retry-after-ms": "250", "retry-after": "9" }, 2, 2, now)).toBe(250);
    expect(retryDelayMs({ "retry-after": "1.5" }, 2, 2, now)).toBe(1500);
    expect(retryDelayMs({ "retry-after": "Fri, 04 Dec 2026 12:00:03 GMT" }, 2, 2, now)).toBe(3000);
  });
  it("backs off 0.5 s, 1 s, … at most 8 s, less up to 25 % jitter, without a usable word", () => {
    expect(retryDelayMs(undefined, 2, 2, now, () => 0)).toBe(500);
    expect(retryDelayMs(undefined, 1, 2, now, () => 0)).toBe(1000);
    expect(retryDelayMs({ "retry-after": "120" }, 1, 10, now, () => 0)).toBe(8000);
    expect(retryDelayMs({ "retry-after": "soon" }, 2, 2, now, () => 1)).toBe(375);
  });
});

describe("openChatStream behind an outbound proxy", () => {
  it("goes through HTTP_PROXY when Node is told to use the environment's proxy (NODE_USE_ENV_PROXY=1)", async () => {
    const proxied: string[] = [];
    // A loopback proxy: it sees the absolute URL and answers for the provider (an address where
    // nothing listens, also on loopback: without the proxy the request fails).
    const proxy = http.createServer((req, res) => {
      proxied.push(`${req.method} ${req.url}`);
      req.resume();
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`data: ${chunk("via proxy")}\n\ndata: [DONE]\n\n`);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const saved = { ...process.env };
    process.env.NODE_USE_ENV_PROXY = "1";
    process.env.HTTP_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    delete process.env.NO_PROXY;
    delete process.env.no_proxy;
    try {
      vi.resetModules();
      const fresh = await import("@/lib/agent/chat-stream");
      const stream = await fresh.openChatStream({ baseUrl: "http://127.0.0.2:9/v1", apiKey: "k" }, request, {
        maxRetries: 0,
      });
      expect(await collect(stream)).toBe("via proxy");
      expect(proxied).toEqual(["POST http://127.0.0.2:9/v1/chat/completions"]);
    } finally {
      process.env = saved;
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });
});
