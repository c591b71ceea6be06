// BullMQ transport (Redis): one queue per channel, same names as the Kafka topics. Jobs complete
// only after the handler returns, so a crash mid-handling leaves the job to be retried.
import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { busTopics } from "../server/kafka";
import { logger } from "../server/logger";
import { carrierFromJobData, jobData, type JobData, type TraceCarrier } from "../tracing/propagation";
import type { Bus, Channel, ChannelMessage, Handler, Outgoing } from "./types";

// BullMQ forbids ':' in queue names; dots are fine.
function channelNames(prefix: string): Record<Channel, string> {
  const t = busTopics(prefix);
  return { tools: t.tools, toolResults: t.toolResults, deadLetter: t.toolsDeadLetter };
}

export function createBullmqBus(connection: () => Redis, prefix: string): Bus {
  const QUEUE_OF = channelNames(prefix);
  const queues = new Map<Channel, Queue>();
  const workers: Worker[] = [];
  const queue = (channel: Channel) => {
    let q = queues.get(channel);
    if (!q) {
      q = new Queue(QUEUE_OF[channel], { connection: connection() });
      queues.set(channel, q);
    }
    return q;
  };

  // A handler that cannot finish yet (the call runs on a live executor) throws and is retried.
  const jobOptions = {
    attempts: 120,
    backoff: { type: "fixed", delay: 1_000 },
    removeOnComplete: 1000,
    removeOnFail: 5000,
  };

  return {
    transport: "bullmq",
    async publish<C extends Channel>(
      channel: C,
      key: string,
      message: ChannelMessage[C],
      trace?: TraceCarrier,
    ) {
      await queue(channel).add(channel, jobData(key, JSON.stringify(message), trace), jobOptions);
    },
    async publishMany<C extends Channel>(channel: C, items: Outgoing<C>[]) {
      if (items.length === 0) return;
      await queue(channel).addBulk(
        items.map((i) => ({
          name: channel,
          // The trace travels beside the message in the job's data: the message stays as its schema says.
          data: jobData(i.key, JSON.stringify(i.message), i.trace),
          opts: jobOptions,
        })),
      );
    },
    async consume(channel: Channel, _group: string, handler: Handler, opts = {}) {
      const worker = new Worker<JobData>(
        QUEUE_OF[channel],
        async (job) => handler(job.data.value, carrierFromJobData(job.data)),
        // A killed worker's job goes back to the queue within lockDuration + stalledInterval (≤ 8 s),
        // by then its executor's heartbeat (5 s) has lapsed too, so the next worker takes the call
        // over at once. The lock is renewed every lockDuration / 2, well inside a busy event loop's
        // pauses. The tool call's own attempts (executor.maxAttempts) bound how often a call whose
        // executors keep dying is taken again, so BullMQ's own stall limit is not the one that acts.
        {
          connection: connection(),
          concurrency: opts.concurrency ?? 1,
          lockDuration: 6_000,
          stalledInterval: 2_000,
          maxStalledCount: 50,
        },
      );
      const log = logger().child({ component: "bus", transport: "bullmq", queue: QUEUE_OF[channel] });
      // Connection errors repeat on every reconnect attempt while Redis is away (readiness reports
      // that): one line per 30 s says so without flooding the log.
      let lastErrorLogged = 0;
      worker.on("error", (err) => {
        if (Date.now() - lastErrorLogged < 30_000) return;
        lastErrorLogged = Date.now();
        log.warn({ err }, "bus worker error");
      });
      // A throw is how a handler asks for a retry (see jobOptions), so only the last attempt is news.
      worker.on("failed", (job, err) => {
        if (job && job.attemptsMade >= (job.opts.attempts ?? 1))
          log.error(
            { err, jobId: job.id, attempts: job.attemptsMade },
            "bus job gave up after its last attempt",
          );
        else log.debug({ err, jobId: job?.id }, "bus job will be retried");
      });
      workers.push(worker);
      await worker.waitUntilReady();
    },
    async close() {
      await Promise.allSettled(workers.map((w) => w.close()));
      await Promise.allSettled([...queues.values()].map((q) => q.close()));
    },
  };
}
