// The gateway's own SSE streams (server/sse-writer.ts) on a loopback server: what is written before
// the stream opens goes out with its headers, an end asked for before it opens ends it right after,
// and a client that goes away runs the stream's cleanups once.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { sseWriter, type SseWriter } from "@/server/sse-writer";
import { SSE_RETRY_FRAME } from "@/lib/http/sse";

let server: http.Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A server whose one request is answered by `serve` with a stream; the stream, once made. */
async function serveWith(
  serve: (stream: SseWriter) => void,
): Promise<{ url: string; made: Promise<SseWriter> }> {
  let made!: (s: SseWriter) => void;
  const madePromise = new Promise<SseWriter>((r) => (made = r));
  server = http.createServer((_req, res) => {
    const stream = sseWriter(res);
    made(stream);
    serve(stream);
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, made: madePromise };
}

describe("sseWriter", () => {
  it("sends what was written before it opened with its headers, then what comes after, and ends once asked", async () => {
    const { url } = await serveWith((stream) => {
      stream.write("event: a\ndata: 1\n\n");
      stream.open();
      stream.write("event: b\ndata: 2\n\n");
      stream.end();
      stream.write("event: c\ndata: 3\n\n"); // after the end: dropped
    });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(await res.text()).toBe(`${SSE_RETRY_FRAME}event: a\ndata: 1\n\nevent: b\ndata: 2\n\n`);
  });

  it("ends right after opening when the end came first", async () => {
    const { url } = await serveWith((stream) => {
      stream.write("event: session.deleted\ndata: {}\n\n");
      stream.end();
      expect(stream.closed).toBe(false);
      stream.open();
      expect(stream.closed).toBe(true);
    });
    expect(await (await fetch(url)).text()).toBe(`${SSE_RETRY_FRAME}event: session.deleted\ndata: {}\n\n`);
  });

  it("runs its cleanups once when the client goes away, and a cleanup added later at once", async () => {
    let cleaned = 0;
    const { url, made } = await serveWith((stream) => {
      stream.onClose(() => cleaned++);
      stream.open();
    });
    const aborter = new AbortController();
    const res = await fetch(url, { signal: aborter.signal });
    const reader = res.body!.getReader();
    await reader.read(); // the retry frame: the stream is open
    const stream = await made;
    aborter.abort();
    await expect.poll(() => stream.closed).toBe(true);
    expect(cleaned).toBe(1);
    let late = 0;
    stream.onClose(() => late++);
    expect(late).toBe(1);
    expect(cleaned).toBe(1);
  });

  it("starts closed when its client left while it was being prepared", async () => {
    let served!: () => void;
    const done = new Promise<void>((r) => (served = r));
    let cleaned = 0;
    let closedAtStart: boolean | undefined;
    let received!: () => void;
    const arrived = new Promise<void>((r) => (received = r));
    server = http.createServer((_req, res) => {
      received();
      res.once("close", () => {
        const stream = sseWriter(res);
        closedAtStart = stream.closed;
        stream.onClose(() => cleaned++);
        served();
      });
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const aborter = new AbortController();
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const asked = fetch(url, { signal: aborter.signal }).catch(() => undefined);
    await arrived;
    aborter.abort();
    await Promise.all([asked, done]);
    expect(closedAtStart).toBe(true);
    expect(cleaned).toBe(1);
  });
});
