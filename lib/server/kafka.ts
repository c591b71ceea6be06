// kafkajs client, one per process, plus the topic names of the tool bus.
import { Kafka, logLevel, type Admin } from "kafkajs";
import { singleton } from "../singleton";
import { getConfig, type Settings } from "../config";
import { logger } from "./logger";
import { kafkaConnection } from "./kafka-connection";

/** Bus channel names: Kafka topics and BullMQ queues alike. The prefix separates stacks sharing a broker. */
export function busTopics(prefix: string) {
  return {
    tools: `${prefix}.tools`,
    toolResults: `${prefix}.tool-results`,
    toolsDeadLetter: `${prefix}.tools.dlq`,
  } as const;
}

/** A kafkajs client for these settings: brokers, and TLS and SASL when set (lib/server/kafka-connection.ts). */
export function createKafka(settings: Settings["kafka"], clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: settings.brokers,
    ...kafkaConnection(settings),
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
    const settings = getConfig().settings.kafka;
    return createKafka(settings, settings.clientId);
  });
}

/** Creates the bus topics if missing (the one-shot topic job). Returns the names it created. */
export async function ensureTopics(
  admin: Admin,
  prefix: string,
  partitions: number,
  replicationFactor = 1,
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const wanted = Object.values(busTopics(prefix)).filter((t) => !existing.has(t));
  if (wanted.length === 0) return [];
  await admin.createTopics({
    waitForLeaders: true,
    topics: wanted.map((topic) => ({ topic, numPartitions: partitions, replicationFactor })),
  });
  return wanted;
}
