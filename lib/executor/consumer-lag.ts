// Tool requests waiting for an executor: BullMQ waiting/delayed jobs, or the Kafka consumer group's
// lag. Read on each metrics scrape through one long-lived client (a connection per scrape would leak).
import { Queue } from "bullmq";
import type { Admin } from "kafkajs";
import type { Settings } from "../config";
import { busTopics, createKafka } from "../server/kafka";
import { createRedis } from "../server/redis";

export function consumerLagReader(settings: Settings): { read(): Promise<number>; close(): Promise<void> } {
  const topic = busTopics(settings.kafka.topicPrefix).tools;
  if (settings.bus.transport === "bullmq") {
    const connection = createRedis(settings.redis.url, { blocking: true });
    connection.on("error", () => undefined);
    const queue = new Queue(topic, { connection });
    return {
      async read() {
        const counts = await queue.getJobCounts("waiting", "delayed", "prioritized");
        return Object.values(counts).reduce((a, b) => a + b, 0);
      },
      async close() {
        await queue.close();
        connection.disconnect();
      },
    };
  }
  let admin: Promise<Admin> | undefined;
  const connected = () => {
    admin ??= (async () => {
      const a = createKafka(settings.kafka, `${settings.kafka.clientId}-lag`).admin();
      await a.connect();
      return a;
    })().catch((err: unknown) => {
      admin = undefined;
      throw err;
    });
    return admin;
  };
  return {
    async read() {
      const a = await connected();
      const [latest, committed] = await Promise.all([
        a.fetchTopicOffsets(topic),
        a.fetchOffsets({ groupId: settings.executor.consumerGroup, topics: [topic] }),
      ]);
      const done = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
      return latest.reduce(
        (sum, p) => sum + Math.max(0, Number(p.offset) - Math.max(0, done.get(p.partition) ?? 0)),
        0,
      );
    },
    async close() {
      if (admin) await (await admin.catch(() => undefined))?.disconnect();
    },
  };
}
