// Kafka transport: topics <prefix>.tools / <prefix>.tool-results / <prefix>.tools.dlq, keyed so
// one session's messages stay ordered; consumers in one group share partitions. Offsets are
// committed only after the handler returns.
import type { Consumer, Kafka, Producer } from "kafkajs";
import { busTopics } from "../server/kafka";
import type { Bus, Channel, ChannelMessage, Handler } from "./types";

function channelNames(prefix: string): Record<Channel, string> {
  const t = busTopics(prefix);
  return { tools: t.tools, toolResults: t.toolResults, deadLetter: t.toolsDeadLetter };
}

export function createKafkaBus(kafka: Kafka, prefix: string): Bus {
  const TOPIC_OF = channelNames(prefix);
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;
  const consumers: Consumer[] = [];

  const getProducer = () => {
    connecting ??= (async () => {
      const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await p.connect();
      producer = p;
      return p;
    })().catch((err: unknown) => {
      connecting = undefined;
      throw err;
    });
    return connecting;
  };

  return {
    transport: "kafka",
    async publish<C extends Channel>(channel: C, key: string, message: ChannelMessage[C]) {
      const p = await getProducer();
      await p.send({
        topic: TOPIC_OF[channel],
        acks: -1,
        messages: [{ key, value: JSON.stringify(message) }],
      });
    },
    async publishMany<C extends Channel>(channel: C, items: { key: string; message: ChannelMessage[C] }[]) {
      if (items.length === 0) return;
      const p = await getProducer();
      await p.send({
        topic: TOPIC_OF[channel],
        acks: -1,
        messages: items.map((i) => ({ key: i.key, value: JSON.stringify(i.message) })),
      });
    },
    async consume(channel: Channel, group: string, handler: Handler, opts = {}) {
      // A killed member's partitions move to the others after the session timeout.
      const consumer = kafka.consumer({
        groupId: group,
        allowAutoTopicCreation: false,
        sessionTimeout: 10_000,
        heartbeatInterval: 2_000,
      });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic: TOPIC_OF[channel], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: opts.concurrency ?? 1,
        eachMessage: async ({ topic, partition, message }) => {
          await handler(message.value?.toString("utf8") ?? "");
          await consumer.commitOffsets([
            { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
          ]);
        },
      });
    },
    async close() {
      await Promise.allSettled(consumers.map((c) => c.disconnect()));
      if (producer) await producer.disconnect();
    },
  };
}
