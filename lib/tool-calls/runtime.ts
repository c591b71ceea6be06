// The gateway's tool machinery, one per process: the bus, the outbox relay, the results consumer
// that wakes waiting turns, and the waiters themselves.
import type { Logger } from "pino";
import { createBus, toolResultSchema, type Bus } from "../bus";
import { OutboxRelay } from "../bus/outbox-relay";
import { getConfig } from "../config";
import { singleton } from "../singleton";
import { db } from "../server/db";
import { redis } from "../server/redis";
import { logger } from "../server/logger";
import { notifyToolDone, resultWaiters } from "./result-notify";
import { ATTR, withSpan } from "../tracing/spans";

export interface ToolRuntime {
  bus: Bus;
  relay: OutboxRelay;
  waiters: ReturnType<typeof resultWaiters>;
  close(): Promise<void>;
}

export function toolRuntime(): ToolRuntime {
  return singleton("tool-runtime", () => {
    const { settings } = getConfig();
    const bus = createBus(settings, `${settings.kafka.clientId}-gateway`);
    const relay = new OutboxRelay(db(), bus, logger().child({ component: "outbox-relay" }));
    return {
      bus,
      relay,
      waiters: resultWaiters(settings.redis.url),
      async close() {
        await relay.stop();
        await bus.close();
        this.waiters.close();
      },
    };
  });
}

/** Starts relaying the outbox and consuming results (called once by the gateway's bootstrap). */
export async function startToolRuntime(log: Logger): Promise<ToolRuntime> {
  const rt = toolRuntime();
  rt.relay.start();
  const consume = () =>
    rt.bus.consume("toolResults", "gateway-results", async (raw, trace) => {
      const parsed = toolResultSchema.safeParse(JSON.parse(raw));
      if (!parsed.success) {
        log.warn({ issues: parsed.error.issues.length }, "ignoring an invalid tool result");
        return;
      }
      const result = parsed.data;
      // Back in a gateway, in the trace of the call (the executor's delivery span is its parent).
      await withSpan(
        "tool.result",
        {
          kind: "consumer",
          parent: trace ?? null,
          attributes: {
            [ATTR.messagingSystem]: rt.bus.transport,
            [ATTR.messagingDestination]: "toolResults",
            [ATTR.messagingOperation]: "process",
            [ATTR.toolCallId]: result.toolCallId,
            [ATTR.toolStatus]: result.status,
          },
        },
        () => notifyToolDone(redis(), result.toolCallId),
      );
    });
  // A broker that is down at start must not keep the gateway from serving: keep trying.
  const attempt = (delayMs: number): void => {
    consume().catch((err: unknown) => {
      log.warn({ err, retryInMs: delayMs }, "results consumer could not start; retrying");
      setTimeout(() => attempt(Math.min(delayMs * 2, 30_000)), delayMs).unref();
    });
  };
  attempt(1_000);
  return rt;
}
