// The page's message sending against a real socket.io server on loopback: a draining refusal or a
// socket lost before the answer is sent again by the same name once connected; other refusals are
// the user's at once.
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server, type Socket as ServerSocket } from "socket.io";
import { io, type Socket } from "socket.io-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApiError } from "@/lib/client/api";
import { newClientMessageId, sendMessage } from "@/lib/client/send-message";

type Reply = { ok: true; data: unknown } | { ok: false; error: { code: string; message: string } };
type Handler = (payload: { clientMessageId: string }, ack: (r: Reply) => void, socket: ServerSocket) => void;

let http: HttpServer;
let server: Server;
let page: Socket;
let handle: Handler;
const received: string[] = [];

beforeEach(async () => {
  received.length = 0;
  http = createServer();
  server = new Server(http);
  server.on("connection", (socket) => {
    socket.on("message.send", (payload: { clientMessageId: string }, ack: (r: Reply) => void) => {
      received.push(payload.clientMessageId);
      handle(payload, ack, socket);
    });
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  page = io(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, {
    transports: ["websocket"],
    reconnectionDelay: 50,
    reconnectionDelayMax: 100,
  });
  await new Promise<void>((r) => page.once("connect", () => r()));
});

afterEach(async () => {
  page.disconnect();
  await server.close();
});

const payload = { sessionId: "7c1f4a52-7d5e-4f55-9a3c-4c4b8f3d2a10", content: "hello" };

describe("sendMessage", () => {
  it("sends again, by the same name, after a draining refusal", async () => {
    handle = (_p, ack) =>
      ack(
        received.length === 1
          ? { ok: false, error: { code: "draining", message: "bye" } }
          : { ok: true, data: 1 },
      );
    const retries: string[] = [];
    await expect(sendMessage(page, payload, { onRetry: (e) => retries.push(e.code) })).resolves.toBe(1);
    expect(received).toHaveLength(2);
    expect(received[1]).toBe(received[0]);
    expect(retries).toEqual(["draining"]);
  });

  it("sends again once reconnected when the socket drops before the answer", async () => {
    // The first attempt is never answered: the server drops the connection (a gateway going away).
    handle = (_p, ack, socket) => {
      if (received.length === 1) socket.conn.close();
      else ack({ ok: true, data: "second" });
    };
    await expect(sendMessage(page, payload)).resolves.toBe("second");
    expect(received).toHaveLength(2);
    expect(received[1]).toBe(received[0]);
  });

  it("gives a refusal that is not about the connection to the caller at once", async () => {
    handle = (_p, ack) => ack({ ok: false, error: { code: "rate_limited", message: "Slow down." } });
    const err = await sendMessage(page, payload).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: "rate_limited", message: "Slow down." });
    expect(received).toHaveLength(1);
  });

  it("stops after its attempts and says why", async () => {
    handle = (_p, ack) => ack({ ok: false, error: { code: "draining", message: "still draining" } });
    const err = await sendMessage(page, payload, { attempts: 3 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "draining" });
    expect(received).toHaveLength(3);
    expect(new Set(received).size).toBe(1);
  });

  it("names messages with version 4 UUIDs, each new", () => {
    const a = newClientMessageId();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newClientMessageId()).not.toBe(a);
  });
});
