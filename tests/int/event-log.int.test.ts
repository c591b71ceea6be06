// A session's event log in real Redis: events appended in the same tick go in one call and keep
// their order and consecutive numbers, per session; a subscription made before a turn starts delivers the replay, then what
// arrived meanwhile, then live events, with no gap and no repeat; a counter that was lost continues
// after what the log still holds.
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import {
  appendEvent,
  eventCounterKey,
  eventsAfter,
  followSession,
  subscribeSession,
} from "@/lib/realtime/event-log";
import type { SessionEvent } from "@/lib/realtime/events";
import { channelHub } from "@/lib/realtime/channel-hub";
import { createRedis } from "@/lib/server/redis";
import { settings, waitUntil } from "../helpers/services";

const url = settings().redis.url;
const redis = createRedis(url);
afterAll(() => {
  redis.disconnect();
  channelHub(url).close();
});

const delta = (turnId: string, messageId: string, text: string, offset: number) => ({
  type: "message.delta" as const,
  turnId,
  messageId,
  delta: text,
  offset,
});

describe("the session event log", () => {
  it("numbers events appended in one tick consecutively, in call order, per session", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const [turnId, messageId] = [randomUUID(), randomUUID()];
    const appended = await Promise.all([
      appendEvent(redis, a, { type: "message.started", turnId, messageId }),
      appendEvent(redis, b, { type: "session.updated", title: "b1" }),
      appendEvent(redis, a, delta(turnId, messageId, "one ", 0)),
      appendEvent(redis, b, { type: "session.updated", title: "b2" }),
      appendEvent(redis, a, delta(turnId, messageId, "two", 4)),
    ]);
    expect(appended.map((e) => [e.sessionId === a ? "a" : "b", e.seq])).toEqual([
      ["a", 1],
      ["b", 1],
      ["a", 2],
      ["b", 2],
      ["a", 3],
    ]);
    const logA = await eventsAfter(redis, a, 0);
    expect(logA.map((e) => [e.seq, e.type])).toEqual([
      [1, "message.started"],
      [2, "message.delta"],
      [3, "message.delta"],
    ]);
    expect(logA[2]).toEqual(appended[4]);
    // Later ticks go on from there.
    expect((await appendEvent(redis, a, { type: "session.updated", title: "next" })).seq).toBe(4);
  });

  it("continues after the last logged event when the counter was lost", async () => {
    const id = randomUUID();
    await appendEvent(redis, id, { type: "session.updated", title: "x" });
    await appendEvent(redis, id, { type: "session.updated", title: "y" });
    await redis.del(eventCounterKey(id));
    const [p, q] = await Promise.all([
      appendEvent(redis, id, { type: "session.updated", title: "p" }),
      appendEvent(redis, id, { type: "session.updated", title: "q" }),
    ]);
    expect([p.seq, q.seq]).toEqual([3, 4]);
  });

  it("delivers to a subscription made ahead the replay, what came meanwhile and live events, once each and in order", async () => {
    const id = randomUUID();
    const [turnId, messageId] = [randomUUID(), randomUUID()];
    await appendEvent(redis, id, { type: "session.updated", title: "before" });
    const subscription = await subscribeSession(url, id);
    // Published while nobody has said where to start: buffered, and also in the log.
    await appendEvent(redis, id, { type: "message.started", turnId, messageId });
    await appendEvent(redis, id, delta(turnId, messageId, "a", 0));
    const got: SessionEvent[] = [];
    await subscription.from(redis, 1, (e) => got.push(e));
    await appendEvent(redis, id, delta(turnId, messageId, "b", 1));
    await waitUntil(async () => got.length >= 3, 5_000, "the live event");
    expect(got.map((e) => e.seq)).toEqual([2, 3, 4]);
    await subscription.stop();
    await appendEvent(redis, id, delta(turnId, messageId, "c", 2));
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toHaveLength(3); // stopped: nothing more
  });

  it("follows a session from a sequence number with every event appended in bursts, none missed or repeated", async () => {
    const id = randomUUID();
    const [turnId, messageId] = [randomUUID(), randomUUID()];
    await appendEvent(redis, id, { type: "message.started", turnId, messageId });
    const got: number[] = [];
    const stop = await followSession(redis, url, id, 0, (e) => got.push(e.seq));
    for (let burst = 0; burst < 5; burst++)
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          appendEvent(redis, id, delta(turnId, messageId, "x", burst * 20 + i)),
        ),
      );
    await waitUntil(async () => got.length >= 101, 5_000, "every event");
    await stop();
    expect(got).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
  });
});
