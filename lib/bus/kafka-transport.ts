// Kafka transport: topics <prefix>.tools / <prefix>.tool-results / <prefix>.tools.dlq, keyed so
// one session's messages stay ordered; consumers in one group share partitions. Offsets are
// committed only after the handler returns (lib/bus/kafka-consumer.ts).
import type { Kafka, Message, Producer, TopicMessages } from "kafkajs";
import { busTopics } from "../server/kafka";
import { logger } from "../server/logger";
import { startWorkConsumer, type WorkConsumer } from "./kafka-consumer";
import { kafkaHeaders, type TraceCarrier } from "../tracing/propagation";
import type { Bus, Channel, ChannelMessage, Handler, Outgoing } from "./types";

function channelNames(prefix: string): Record<Channel, string> {
  const t = busTopics(prefix);
  return { tools: t.tools, toolResults: t.toolResults, deadLetter: t.toolsDeadLetter };
}

/** A message on its way, and who waits for it. */
interface Queued {
  topic: string;
  messages: Message[];
  done: (err?: Error) => void;
}

/** Messages of one request: each topic's messages together, in the order they were sent. */
export function byTopic(queued: { topic: string; messages: Message[] }[]): TopicMessages[] {
  const out = new Map<string, Message[]>();
  for (const q of queued) out.set(q.topic, [...(out.get(q.topic) ?? []), ...q.messages]);
  return [...out].map(([topic, messages]) => ({ topic, messages }));
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

  // One request in flight (ordered, idempotent); what is sent meanwhile goes out together in the
  // next one, in the order it was sent. Under load (an executor's results, a relay's batches) that
  // is one produce request per round trip instead of one per message; alone, it changes nothing.
  const queue: Queued[] = [];
  let inFlight = false;
  const pump = () => {
    if (inFlight || queue.length === 0) return;
    inFlight = true;
    const batch = queue.splice(0);
    getProducer()
      .then((p) => p.sendBatch({ acks: -1, topicMessages: byTopic(batch) }))
      .then(
        () => batch.forEach((q) => q.done()),
        (err: unknown) => batch.forEach((q) => q.done(err instanceof Error ? err : new Error(String(err)))),
      )
      .finally(() => {
        inFlight = false;
        pump();
      });
  };
  const send = (topic: string, messages: Message[]) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ topic, messages, done: (err) => (err === undefined ? resolve() : reject(err)) });
      pump();
    });

  return {
    transport: "kafka",
    async publish<C extends Channel>(
      channel: C,
      key: string,
      message: ChannelMessage[C],
      trace?: TraceCarrier,
    ) {
      const headers = kafkaHeaders(trace);
      await send(TOPIC_OF[channel], [
        { key, value: JSON.stringify(message), ...(headers ? { headers } : {}) },
      ]);
    },
    async publishMany<C extends Channel>(channel: C, items: Outgoing<C>[]) {
      if (items.length === 0) return;
      await send(
        TOPIC_OF[channel],
        items.map((i) => {
          // The trace travels in the headers: the message itself stays as its schema says.
          const headers = kafkaHeaders(i.trace);
          return { key: i.key, value: JSON.stringify(i.message), ...(headers ? { headers } : {}) };
        }),
      );
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
