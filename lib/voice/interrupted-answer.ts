// An answer the person spoke over keeps only what they heard: the message's text becomes the heard
// part, the full text goes to its voice metadata, followers get `message.truncated`, and the cached
// history is dropped so the model's next turn sees what was really said. Shared by cascaded and
// realtime calls.
import { dropHistory } from "../agent/context";
import { appendEvent } from "../realtime/event-log";
import { db } from "../server/db";
import { redis } from "../server/redis";

export interface InterruptedAnswer {
  sessionId: string;
  turnId: string;
  messageId: string;
  callId: string;
  heard: string;
  heardMs: number;
  /** Who measured heardMs: the page's played report, the gateway's estimate, or the provider. */
  heardFrom: "page" | "server" | "provider";
  fullText: string;
}

export async function keepHeardText(a: InterruptedAnswer): Promise<void> {
  await db().message.updateMany({
    where: { id: a.messageId },
    data: {
      content: a.heard,
      source: "voice",
      voice: {
        callId: a.callId,
        interrupted: true,
        heardMs: a.heardMs,
        heardFrom: a.heardFrom,
        fullText: a.fullText,
      },
    },
  });
  await db()
    .message.updateMany({ where: { turnId: a.turnId, role: "assistant" }, data: { source: "voice" } })
    .catch(() => undefined);
  await dropHistory(redis(), a.sessionId);
  await appendEvent(redis(), a.sessionId, {
    type: "message.truncated",
    turnId: a.turnId,
    messageId: a.messageId,
    content: a.heard,
    heardMs: a.heardMs,
  });
}
