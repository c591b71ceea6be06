// Revocation reaches what is already open, on the real gateway: a revoked token's socket, a signed-out
// browser's socket, and an unshared viewer's SSE stream and socket follow all end within a second,
// each told why first.
import { io } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  client,
  connectChat,
  emitAck,
  postMessageSse,
  readSse,
  seedUser,
  startChatStack,
  type ChatClientSocket,
  type ChatStack,
  type TestUser,
} from "../helpers/chat";

let stack: ChatStack;
let owner: TestUser & { tenantSlug: string };
let viewer: TestUser;

beforeAll(async () => {
  stack = await startChatStack();
  owner = await seedUser(stack.db, "member");
  viewer = await seedUser(stack.db, "member", owner.tenantSlug);
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

/** Resolves with the `auth.revoked` reason and the time until the socket was closed, or rejects after 1 s. */
function revokedWithinASecond(socket: ChatClientSocket): Promise<{ reason: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let reason: string | undefined;
    const timer = setTimeout(() => reject(new Error("the socket was still open after 1 s")), 1_000);
    socket.on("auth.revoked", (e) => (reason = e.reason));
    socket.on("disconnect", () => {
      clearTimeout(timer);
      if (reason === undefined) reject(new Error("closed without auth.revoked"));
      else resolve({ reason, ms: Date.now() - started });
    });
  });
}

describe("revocation", () => {
  it("closes a revoked token's open socket, saying why", async () => {
    const created = await client(stack.base, owner.token).post("/api/v1/tokens", { name: "short-lived" });
    expect(created.status).toBe(201);
    const { id, token } = created.json as { id: string; token: string };
    const socket = await connectChat(stack.base, token);
    const closed = revokedWithinASecond(socket);
    expect((await client(stack.base, owner.token).del(`/api/v1/tokens/${id}`)).status).toBe(204);
    expect(await closed).toMatchObject({ reason: "The API token was revoked." });
    // The owner's other token and sockets are untouched.
    const other = await connectChat(stack.base, owner.token);
    expect(other.connected).toBe(true);
    other.disconnect();
  });

  it("closes a browser's socket when it signs out", async () => {
    const login = await fetch(`${stack.base}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: stack.base },
      body: JSON.stringify({ email: owner.email, password: owner.password }),
    });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    const socket: ChatClientSocket = io(`${stack.base}/chat`, {
      extraHeaders: { cookie },
      transports: ["websocket"],
      reconnection: false,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("connect_error", reject);
    });
    const closed = revokedWithinASecond(socket);
    const out = await fetch(`${stack.base}/api/auth/logout`, {
      method: "POST",
      headers: { cookie, origin: stack.base },
    });
    expect(out.status).toBe(204);
    expect(await closed).toMatchObject({ reason: "You signed out." });
  });

  it("ends an unshared viewer's SSE stream and socket follow, and sends them nothing after", async () => {
    const owned = client(stack.base, owner.token);
    const sessionId = await owned.newSession("Shared, then not");
    expect((await owned.post(`/api/v1/sessions/${sessionId}/share`, { userId: viewer.userId })).status).toBe(
      200,
    );

    const sse = await fetch(`${stack.base}/api/v1/sessions/${sessionId}/events`, {
      headers: { authorization: `Bearer ${viewer.token}`, accept: "text/event-stream" },
    });
    expect(sse.status).toBe(200);
    const socket = await connectChat(stack.base, viewer.token);
    expect(await emitAck(socket, "session.join", { sessionId })).toMatchObject({ ok: true });
    const socketEvents: string[] = [];
    socket.on("event", (e) => socketEvents.push(e.type));
    const revokedOnSocket = new Promise<{ sessionId: string; reason: string }>((resolve) =>
      socket.once("session.revoked", resolve),
    );

    const started = Date.now();
    expect((await owned.del(`/api/v1/sessions/${sessionId}/share/${viewer.userId}`)).status).toBe(204);
    const streamEnd = await readSse(sse, () => false, 1_000);
    expect(streamEnd.ended).toBe(true);
    expect(streamEnd.events.at(-1)).toEqual({
      type: "session.revoked",
      sessionId,
      reason: "This session is no longer shared with you.",
    });
    expect(await revokedOnSocket).toEqual({
      sessionId,
      reason: "This session is no longer shared with you.",
    });
    expect(Date.now() - started).toBeLessThan(1_000);

    // The owner keeps talking; the former viewer's socket (still connected) hears none of it.
    await readSse(
      await postMessageSse(stack.base, owner.token, sessionId, "private now"),
      (e) => e.type === "turn.finished",
    );
    expect(socket.connected).toBe(true);
    expect(socketEvents).toEqual([]);
    socket.disconnect();
  });
});
