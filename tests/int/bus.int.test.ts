// The tool bus over both real transports: a request published is consumed by a group member, in
// order per session key.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKafka, ensureTopics } from "@/lib/server/kafka";
import { createBus, type Bus, type ToolRequest, toolRequestSchema } from "@/lib/bus";
import { settings, waitUntil } from "../helpers/services";

const buses: Bus[] = [];
afterAll(async () => {
  await Promise.all(buses.map((b) => b.close()));
});

function request(sessionId: string, n: number): ToolRequest {
  return {
    version: 1,
    toolCallId: randomUUID(),
    sessionId,
    tenantId: randomUUID(),
    tool: "response",
    arguments: { text: `message ${n}` },
    requestedAt: new Date().toISOString(),
  };
}

// Channels of their own (a separate prefix), so no executor of another test takes these messages.
const PREFIX = "somatest-bus";

beforeAll(async () => {
  const admin = createKafka(settings().kafka, "bus-test-admin").admin();
  await admin.connect();
  await ensureTopics(admin, PREFIX, 3);
  await admin.disconnect();
});

describe.each(["kafka", "bullmq"] as const)("bus over %s", (transport) => {
  it("delivers published tool requests to a consumer, in order for one session", async () => {
    const s = settings();
    const bus = createBus(
      { ...s, bus: { transport }, kafka: { ...s.kafka, topicPrefix: PREFIX } },
      `bus-test-${transport}`,
    );
    buses.push(bus);
    const sessionId = randomUUID();
    const seen: ToolRequest[] = [];
    await bus.consume("tools", `bus-test-${randomUUID()}`, async (raw) => {
      const msg = toolRequestSchema.parse(JSON.parse(raw));
      if (msg.sessionId === sessionId) seen.push(msg);
    });
    const sent = [1, 2, 3].map((n) => request(sessionId, n));
    for (const m of sent) await bus.publish("tools", sessionId, m);
    // A new Kafka consumer group may wait for its coordinator partition to load (slow right after a
    // broker restart, which the outage test causes), hence the generous deadline.
    await waitUntil(async () => seen.length === 3, 90_000, `3 messages over ${transport}`);
    expect(seen.map((m) => m.toolCallId)).toEqual(sent.map((m) => m.toolCallId));
  }, 120_000);
});

// One partition, so every key shares it: a slow message must not hold the others back. Kafka only:
// BullMQ has no keys (a queue's jobs run side by side up to the worker's concurrency, unordered).
const ONE_PARTITION = "somatest-bus1";

describe.each(["kafka"] as const)("a consumer with room for several over %s", (transport) => {
  let bus: Bus;
  beforeAll(async () => {
    const admin = createKafka(settings().kafka, "bus-test-admin").admin();
    await admin.connect();
    await ensureTopics(admin, ONE_PARTITION, 1);
    await admin.disconnect();
    const s = settings();
    bus = createBus(
      { ...s, bus: { transport }, kafka: { ...s.kafka, topicPrefix: ONE_PARTITION } },
      `bus-test-concurrent-${transport}`,
    );
    buses.push(bus);
  });

  it("handles other sessions while one session's message is still being handled, each session in order", async () => {
    const slow = randomUUID();
    const other = randomUUID();
    const seen: string[] = [];
    let releaseSlow!: () => void;
    const slowMayEnd = new Promise<void>((r) => (releaseSlow = r));
    const failedOnce = new Set<string>();
    await bus.consume(
      "tools",
      `bus-test-${randomUUID()}`,
      async (raw) => {
        const msg = toolRequestSchema.parse(JSON.parse(raw));
        const text = String(msg.arguments.text);
        // The first delivery of "other 2" fails: it is retried, and "other 3" still comes after it.
        if (text === "message 2" && msg.sessionId === other && !failedOnce.has(msg.toolCallId)) {
          failedOnce.add(msg.toolCallId);
          throw new Error("a passing failure");
        }
        if (msg.sessionId === slow && text === "message 1") await slowMayEnd;
        if (msg.sessionId === slow || msg.sessionId === other)
          seen.push(`${msg.sessionId === slow ? "slow" : "other"} ${text}`);
      },
      { concurrency: 4 },
    );
    await bus.publish("tools", slow, request(slow, 1));
    await bus.publish("tools", slow, request(slow, 2));
    for (const n of [1, 2, 3]) await bus.publish("tools", other, request(other, n));
    // The slow session's first message is held until the other session's three are through.
    try {
      await waitUntil(async () => seen.length === 3, 90_000, "the other session's messages");
      expect(seen).toEqual(["other message 1", "other message 2", "other message 3"]);
      expect(failedOnce.size).toBe(1);
    } finally {
      releaseSlow();
    }
    await waitUntil(async () => seen.length === 5, 30_000, "the slow session's messages");
    expect(seen.slice(3)).toEqual(["slow message 1", "slow message 2"]);
  }, 120_000);
});
