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
