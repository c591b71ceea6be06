// The gateway's open-socket gauge, which the Helm chart's HPA scales on: it counts the sockets a
// gateway holds per socket.io namespace, up on connect and down on disconnect, and a socket refused
// at authentication is never counted.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io } from "socket.io-client";
import { connectChat, seedUser, startChatStack, type ChatStack, type TestUser } from "../helpers/chat";
import { waitUntil } from "../helpers/services";

let stack: ChatStack;
let user: TestUser;

beforeAll(async () => {
  stack = await startChatStack();
  user = await seedUser(stack.db, "member");
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

/** somaagent_socketio_connections{nsp="/chat"} from /metrics (loopback callers need no token). */
async function openChatSockets(): Promise<number> {
  const text = await (await fetch(`${stack.base}/metrics`)).text();
  const m = /^somaagent_socketio_connections\{nsp="\/chat"\} (\d+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
}

describe("somaagent_socketio_connections", () => {
  it("counts open /chat sockets up and down, and not a refused one", async () => {
    const before = await openChatSockets();
    const a = await connectChat(stack.base, user.token);
    const b = await connectChat(stack.base, user.token);
    expect(await openChatSockets()).toBe(before + 2);

    const refused = io(`${stack.base}/chat`, {
      auth: { token: "not-a-token" },
      transports: ["websocket"],
      reconnection: false,
    });
    await new Promise<void>((resolve) => refused.once("connect_error", () => resolve()));
    refused.close();
    expect(await openChatSockets()).toBe(before + 2);

    a.disconnect();
    await waitUntil(
      async () => (await openChatSockets()) === before + 1,
      10_000,
      "the gauge to count the disconnect",
    );
    b.disconnect();
    await waitUntil(
      async () => (await openChatSockets()) === before,
      10_000,
      "the gauge to count both disconnects",
    );
  });
});
