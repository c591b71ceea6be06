// Kafka transport: topics <prefix>.tools / <prefix>.tool-results / <prefix>.tools.dlq, keyed so
// one session's messages stay ordered; consumers in one group share partitions. Offsets are
// committed only after the handler returns (lib/bus/kafka-consumer.ts).
import type { Kafka, Producer } from "kafkajs";
import { busTopics } from "../server/kafka";
import { logger } from "../server/logger";
import { startWorkConsumer, type WorkConsumer } from "./kafka-consumer";
import { kafkaHeaders, type TraceCarrier } from "../tracing/propagation";
import type { Bus, Channel, ChannelMessage, Handler, Outgoing } from "./types";

function channelNames(prefix: string): Record<Channel, string> {
  const t = busTopics(prefix);
  return { tools: t.tools, toolResults: t.toolResults, deadLetter: t.toolsDeadLetter };
}

export function createKafkaBus(kafka: Kafka, prefix: string): Bus {
  const TOPIC_OF = channelNames(prefix);
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;
  const consumers: WorkConsumer[] = [];

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
    async publish<C extends Channel>(
      channel: C,
      key: string,
      message: ChannelMessage[C],
      trace?: TraceCarrier,
    ) {
      const p = await getProducer();
      const headers = kafkaHeaders(trace);
      await p.send({
        topic: TOPIC_OF[channel],
        acks: -1,
        messages: [{ key, value: JSON.stringify(message), ...(headers ? { headers } : {}) }],
      });
    },
    async publishMany<C extends Channel>(channel: C, items: Outgoing<C>[]) {
      if (items.length === 0) return;
      const p = await getProducer();
      await p.send({
        topic: TOPIC_OF[channel],
        acks: -1,
        messages: items.map((i) => {
          // The trace travels in the headers: the message itself stays as its schema says.
          const headers = kafkaHeaders(i.trace);
          return { key: i.key, value: JSON.stringify(i.message), ...(headers ? { headers } : {}) };
        }),
      });
    },
    async consume(channel: Channel, group: string, handler: Handler, opts = {}) {
      consumers.push(
        await startWorkConsumer({
          kafka,
          groupId: group,
          topic: TOPIC_OF[channel],
          handler,
          concurrency: opts.concurrency ?? 1,
          log: logger().child({ component: "bus", transport: "kafka", group }),
        }),
      );
    },
    async close() {
      await Promise.allSettled(consumers.map((c) => c.close()));
      if (producer) await producer.disconnect();
    },
  };
}
