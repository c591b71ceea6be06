// kafkajs client, one per process, plus the topic names of the tool bus.
import { Kafka, logLevel, type Admin } from "kafkajs";
import { singleton } from "../singleton";
import { getConfig } from "../config";
import { logger } from "./logger";

/** Bus channel names: Kafka topics and BullMQ queues alike. The prefix separates stacks sharing a broker. */
export function busTopics(prefix: string) {
  return {
    tools: `${prefix}.tools`,
    toolResults: `${prefix}.tool-results`,
    toolsDeadLetter: `${prefix}.tools.dlq`,
  } as const;
}

export function createKafka(brokers: string[], clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }) => {
        const { message, ...extra } = log;
        const l = logger().child({ component: "kafkajs" });
        if (level <= logLevel.ERROR) l.error(extra, message);
        else l.warn(extra, message);
      },
  });
}

export function kafka(): Kafka {
  return singleton("kafka", () => {
    const { brokers, clientId } = getConfig().settings.kafka;
    return createKafka(brokers, clientId);
  });
}

/** Creates the bus topics if missing (the one-shot topic job). Returns the names it created. */
export async function ensureTopics(admin: Admin, prefix: string, partitions: number): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const wanted = Object.values(busTopics(prefix)).filter((t) => !existing.has(t));
  if (wanted.length === 0) return [];
  await admin.createTopics({
    waitForLeaders: true,
    topics: wanted.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
  });
  return wanted;
}
