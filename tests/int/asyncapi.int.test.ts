// The socket.io contract: /api/asyncapi.json publishes a JSON Schema for every message of /chat,
// /voice and /system, and a recorded turn (a message, a tool call, the answer) replayed through the
// published schemas passes: every `event` the server sent matches SessionEvent, every payload the client
// sent matches its message. A turn whose events drift from the schemas fails here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  collect,
  connectChat,
  emitAck,
  seedUser,
  startChatStack,
  type ChatStack,
  type TestUser,
} from "../helpers/chat";

let stack: ChatStack;
let user: TestUser;

beforeAll(async () => {
  stack = await startChatStack();
  user = await seedUser(stack.db);
}, 180_000);
afterAll(async () => {
  await stack?.close();
});

interface Doc {
  asyncapi: string;
  channels: Record<string, { address: string; messages: Record<string, { name: string; payload: object }> }>;
  components: { schemas: Record<string, object> };
}

/** A validator from the published JSON Schema (refs resolved against the document's components). */
function validator(doc: Doc, schema: object) {
  const inline = JSON.parse(
    JSON.stringify(schema).replace(/\{"\$ref":"#\/components\/schemas\/(\w+)"\}/g, (_m, name: string) =>
      JSON.stringify(doc.components.schemas[name]),
    ),
  ) as Parameters<typeof z.fromJSONSchema>[0];
  return z.fromJSONSchema(inline);
}

describe("the AsyncAPI document", () => {
  it("describes every namespace's messages, and a recorded turn passes through it", async () => {
    const res = await fetch(`${stack.base}/api/asyncapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Doc;
    expect(doc.asyncapi).toBe("3.0.0");
    expect(Object.values(doc.channels).map((c) => c.address)).toEqual(["/chat", "/voice", "/system"]);
    const chat = doc.channels.chat!.messages;
    expect(Object.keys(chat)).toEqual(
      expect.arrayContaining(["send.session.join", "send.message.send", "send.turn.cancel", "receive.event"]),
    );

    // Record a turn with a tool call over /chat.
    const socket = await connectChat(stack.base, user.token);
    const session = (await (
      await fetch(`${stack.base}/api/v1/sessions`, {
        method: "POST",
        headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
        body: "{}",
      })
    ).json()) as { id: string };
    const sent: { name: string; payload: unknown }[] = [];
    const send = async (name: string, payload: unknown) => {
      sent.push({ name, payload });
      const reply = await emitAck(socket, name as "session.join", payload);
      expect(reply.ok, JSON.stringify(reply)).toBe(true);
    };
    const events = collect(socket);
    await send("session.join", { sessionId: session.id, afterSeq: 0 });
    await send("message.send", {
      sessionId: session.id,
      content: '[[tool:code_execution {"runtime":"python","code":"print(6*7)"}]]',
    });
    await events.waitFor((e) => e.type === "turn.finished" || e.type === "turn.failed", 60_000);
    socket.close();

    const types = events.events.map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(["turn.started", "tool.started", "tool.finished", "turn.finished"]),
    );
    const event = validator(doc, chat["receive.event"]!.payload);
    for (const e of events.events) {
      const checked = event.safeParse(e);
      expect(checked.success, `${e.type}: ${checked.error?.message ?? ""}`).toBe(true);
    }
    for (const { name, payload } of sent) {
      const checked = validator(doc, chat[`send.${name}`]!.payload).safeParse(payload);
      expect(checked.success, `${name}: ${checked.error?.message ?? ""}`).toBe(true);
    }
    // The schemas refuse what they should: an event without its envelope, a payload without its session.
    expect(event.safeParse({ type: "turn.started" }).success).toBe(false);
    expect(validator(doc, chat["send.message.send"]!.payload).safeParse({ content: "hi" }).success).toBe(
      false,
    );
  });
});
