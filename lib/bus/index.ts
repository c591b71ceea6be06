// The bus the configuration chooses: BullMQ on Redis (default) or Kafka.
import type { Settings } from "../config";
import { createKafka } from "../server/kafka";
import { createRedis } from "../server/redis";
import { createBullmqBus } from "./bullmq-transport";
import { createKafkaBus } from "./kafka-transport";
import type { Bus } from "./types";

export type { Bus, Channel, Handler } from "./types";
export * from "./messages";

export function createBus(settings: Settings, clientId: string): Bus {
  if (settings.bus.transport === "kafka") {
    return createKafkaBus(createKafka(settings.kafka, clientId), settings.kafka.topicPrefix);
  }
  // BullMQ workers block on Redis, so they need connections without a command timeout.
  return createBullmqBus(
    () => createRedis(settings.redis.url, { blocking: true }),
    settings.kafka.topicPrefix,
  );
}
