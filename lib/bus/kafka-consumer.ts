// A Kafka consumer group member whose loop never waits for a handler. kafkajs heartbeats and rejoins
// a rebalancing group only between messages, so a handler that runs a tool for seconds used to hold
// the whole member: a rebalance (a member killed, another joining) waited for it, and its other
// partitions stood still behind it. Here a message only starts its handler and returns:
// - handlers run up to `concurrency` at once, in order per message key (one session's calls keep
//   their order; different sessions no longer wait for each other on a shared partition);
// - an offset is committed once it and every offset before it in its partition are handled, so a
//   member that dies leaves exactly its unfinished messages to the member that takes its partitions;
// - a handler that throws is retried here with backoff, each retry logged with its reason;
// - past MAX_BUFFERED messages under way the topic is paused until half of them are done (a pause
//   drops the rest of a fetched batch and a resume waits out the fetch in flight, so it is kept for
//   real backlogs: a results consumer catching up on thousands at concurrency 1 must not crawl);
// - after a rebalance, a redelivered message this member is already handling is not started twice;
// - close() stops fetching, lets the running handlers finish and commit, then leaves the group, so
//   the others take its partitions at once instead of after the session timeout.
import type { Consumer, Kafka } from "kafkajs";
import type { Logger } from "pino";
import { carrierFromKafkaHeaders, type TraceCarrier } from "../tracing/propagation";
import type { Handler } from "./types";

/**
 * Group timing: a killed member is noticed after SESSION_TIMEOUT_MS (the broker's smallest allowed,
 * group.min.session.timeout.ms = 6 s), the others learn of the rebalance within a heartbeat, and an
 * idle fetch returns within MAX_WAIT_MS so a heartbeat is never far behind.
 */
export const SESSION_TIMEOUT_MS = 6_000;
const HEARTBEAT_MS = 1_000;
const REBALANCE_TIMEOUT_MS = 10_000;
const MAX_WAIT_MS = 1_000;
const MAX_RETRY_DELAY_MS = 30_000;
/** Messages under way (running or waiting for a slot or their key) before the topic is paused. */
const MAX_BUFFERED = 500;

export interface WorkConsumer {
  close(): Promise<void>;
}

export async function startWorkConsumer(opts: {
  kafka: Kafka;
  groupId: string;
  topic: string;
  handler: Handler;
  concurrency: number;
  log: Logger;
}): Promise<WorkConsumer> {
  const { topic, handler, log } = opts;
  const concurrency = Math.max(1, opts.concurrency);
  const consumer: Consumer = opts.kafka.consumer({
    groupId: opts.groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: SESSION_TIMEOUT_MS,
    heartbeatInterval: HEARTBEAT_MS,
    rebalanceTimeout: REBALANCE_TIMEOUT_MS,
    maxWaitTimeInMs: MAX_WAIT_MS,
  });

  /** Per partition this member holds: offsets seen and not yet committed → handled yet. */
  const tracks = new Map<number, Map<bigint, boolean>>();
  /** Handlers started and not finished, by "partition:offset" (they outlive a rebalance). */
  const running = new Map<string, Promise<void>>();
  /** The last handler of each key, so the next of that key starts after it. */
  const chains = new Map<string, Promise<void>>();
  let active = 0;
  const slotWaiters: (() => void)[] = [];
  let closing = false;
  let paused = false;
  let commits: Promise<void> = Promise.resolve();

  const acquire = async () => {
    if (active < concurrency) {
      active += 1;
      return;
    }
    await new Promise<void>((resolve) => slotWaiters.push(resolve));
  };
  const release = () => {
    const next = slotWaiters.shift();
    if (next) next();
    else active -= 1;
  };

  const handleWithRetry = async (raw: string, trace: TraceCarrier | undefined, where: string) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await handler(raw, trace);
        return;
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        if (closing) {
          // Left uncommitted: the member that takes the partition delivers it again.
          log.warn(
            { topic, message: where, reason },
            "message not handled before shutdown; left to the group",
          );
          throw err;
        }
        const retryInMs = Math.min(MAX_RETRY_DELAY_MS, 500 * 2 ** Math.min(attempt - 1, 6));
        log.warn({ topic, message: where, attempt, retryInMs, reason }, "message handler failed; retrying");
        await new Promise((r) => setTimeout(r, retryInMs));
      }
    }
  };

  /** Commits each partition's handled prefix (serialized: commits of one member never cross). */
  const commitHandled = (partition: number) => {
    commits = commits.then(async () => {
      const track = tracks.get(partition);
      if (!track) return; // no longer ours: its new holder delivers the rest again
      const handled: bigint[] = [];
      for (const [offset, done] of track) {
        if (!done) break;
        handled.push(offset);
      }
      if (handled.length === 0) return;
      try {
        await consumer.commitOffsets([{ topic, partition, offset: (handled.at(-1)! + 1n).toString() }]);
        for (const offset of handled) track.delete(offset);
      } catch (err) {
        // Kept: the next handled message of the partition commits them; if the partition moved, its
        // new holder delivers them again and the handler (idempotent) answers from the record.
        log.warn({ topic, partition, reason: (err as Error).message }, "offset commit failed; will retry");
      }
    });
  };

  const outstanding = () => running.size;
  const resumeIfDrained = () => {
    if (paused && !closing && outstanding() <= MAX_BUFFERED / 2) {
      paused = false;
      consumer.resume([{ topic }]);
    }
  };

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const mine = new Set(payload.memberAssignment[topic] ?? []);
    for (const partition of [...tracks.keys()]) if (!mine.has(partition)) tracks.delete(partition);
    log.info({ topic, partitions: [...mine].sort((a, b) => a - b) }, "consumer group joined");
  });

  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const offset = BigInt(message.offset);
      let track = tracks.get(partition);
      if (!track) tracks.set(partition, (track = new Map<bigint, boolean>()));
      if (track.has(offset)) return; // delivered again after a rebalance; already under way here
      track.set(offset, false);
      const where = `${partition}:${message.offset}`;
      const finish = () => {
        const t = tracks.get(partition);
        if (t?.has(offset)) {
          t.set(offset, true);
          commitHandled(partition);
        }
      };
      const already = running.get(where);
      if (already) {
        void already.then(finish, () => undefined); // its failure was logged where it ran
        return;
      }
      const raw = message.value?.toString("utf8") ?? "";
      const trace = carrierFromKafkaHeaders(message.headers);
      const key = message.key?.toString("utf8") ?? `partition:${partition}`;
      const task = (chains.get(key) ?? Promise.resolve())
        .catch(() => undefined) // the one before gave up (shutdown): this one still waits its turn
        .then(acquire)
        .then(async () => {
          try {
            await handleWithRetry(raw, trace, where);
          } finally {
            release();
          }
        });
      chains.set(key, task);
      running.set(where, task);
      void task
        .then(finish, () => undefined)
        .finally(() => {
          running.delete(where);
          if (chains.get(key) === task) chains.delete(key);
          resumeIfDrained();
        });
      if (!paused && outstanding() >= MAX_BUFFERED) {
        paused = true;
        consumer.pause([{ topic }]);
      }
    },
  });

  return {
    async close() {
      closing = true;
      consumer.pause([{ topic }]);
      await Promise.allSettled([...running.values()]);
      await commits;
      await consumer.disconnect(); // leaves the group: its partitions move on now
    },
  };
}
