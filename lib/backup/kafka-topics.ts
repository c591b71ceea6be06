// The bus topics' configuration (partitions, replication factor, settings changed from the broker's
// defaults), so a restore recreates them as they were. Their messages are not backed up: the bus
// carries work in flight, and what must survive is in Postgres (the outbox, tool calls).
import kafkajs, { type Admin } from "kafkajs";
import { z } from "zod";

export const topicSchema = z.object({
  name: z.string().min(1),
  partitions: z.number().int().min(1),
  replicationFactor: z.number().int().min(1),
  /** Only what was set on the topic itself (retention.ms, cleanup.policy, …). */
  configs: z.record(z.string(), z.string()),
});
export const topicsFileSchema = z.object({ prefix: z.string(), topics: z.array(topicSchema) });
export type TopicDescription = z.infer<typeof topicSchema>;

// kafkajs is CommonJS whose enums Node's ESM loader cannot see as named exports.
const { ConfigResourceTypes, ConfigSource } = kafkajs;

const ours = (prefix: string) => (name: string) => name.startsWith(`${prefix}.`);

export async function describeTopics(admin: Admin, prefix: string): Promise<TopicDescription[]> {
  const names = (await admin.listTopics()).filter(ours(prefix)).sort();
  if (!names.length) return [];
  const meta = await admin.fetchTopicMetadata({ topics: names });
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
  });
  return names.map((name) => {
    const t = meta.topics.find((x) => x.name === name);
    const c = configs.resources.find((r) => r.resourceName === name);
    return {
      name,
      partitions: t?.partitions.length ?? 1,
      replicationFactor: Math.max(1, ...(t?.partitions.map((p) => p.replicas.length) ?? [1])),
      configs: Object.fromEntries(
        (c?.configEntries ?? [])
          .filter((e) => !e.isDefault && e.configSource === ConfigSource.TOPIC_CONFIG && !e.isSensitive)
          .map((e) => [e.configName, e.configValue]),
      ),
    };
  });
}

/**
 * Creates the topics that are missing as they were, sets the saved settings on those that exist,
 * and adds partitions where a topic has fewer (Kafka cannot take any away). Returns one line each.
 */
export async function restoreTopics(admin: Admin, topics: TopicDescription[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const report: string[] = [];
  const missing = topics.filter((t) => !existing.has(t.name));
  if (missing.length) {
    await createWhenDeleted(admin, missing);
    for (const t of missing)
      report.push(
        `${t.name}: created (${t.partitions} partitions, ${Object.keys(t.configs).length} settings)`,
      );
  }
  const present = topics.filter((t) => existing.has(t.name));
  if (!present.length) return report;
  const meta = await admin.fetchTopicMetadata({ topics: present.map((t) => t.name) });
  for (const t of present) {
    const now = meta.topics.find((x) => x.name === t.name)?.partitions.length ?? t.partitions;
    const done: string[] = [];
    if (now < t.partitions) {
      await admin.createPartitions({ topicPartitions: [{ topic: t.name, count: t.partitions }] });
      done.push(`partitions ${now} → ${t.partitions}`);
    } else if (now > t.partitions)
      done.push(`keeps ${now} partitions (the backup had ${t.partitions}; Kafka cannot remove any)`);
    const entries = Object.entries(t.configs);
    if (entries.length) {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: t.name,
            configEntries: entries.map(([name, value]) => ({ name, value })),
          },
        ],
      });
      done.push(`${entries.length} settings set`);
    }
    report.push(`${t.name}: present${done.length ? `, ${done.join(", ")}` : ""}`);
  }
  return report;
}

/** A topic deleted a moment ago is still "marked for deletion" for a while: retry for up to 30 s. */
async function createWhenDeleted(admin: Admin, topics: TopicDescription[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor,
          configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
        })),
      });
      return;
    } catch (err) {
      const message = (err as Error).message;
      if (Date.now() > deadline || !/marked for deletion|already exists/i.test(message)) throw err;
      const left = new Set(await admin.listTopics());
      topics = topics.filter((t) => !left.has(t.name));
      if (!topics.length) return;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}
