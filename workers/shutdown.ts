// Worker shutdown (kafkajs / BullMQ guidance): on SIGTERM/SIGINT close consumers first, then clients, once each.
import type { Logger } from "pino";

export function onShutdown(log: Logger, steps: (() => Promise<unknown>)[]): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    for (const step of steps) {
      await step().catch((err: unknown) => log.warn({ err }, "error while closing"));
    }
    log.info("stopped");
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
}
