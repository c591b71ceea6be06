// The chat benches' side of bench/lib/chat-provider-process.ts: the offline provider in a child
// process, its stamps (a chat request arrived, a streamed answer's first token written) kept by
// message until the bench takes them, and the child's event-loop delay. A stamp comes over IPC and may
// reach the bench after the client saw what it stamps: `take` waits for it, up to a bound, and a stamp
// that never comes is `undefined` (the bench counts it missing, never a 0 ms sample).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { clockCheck, forkChild } from "./child-rpc";

type Kind = "arrived" | "first";

export interface ProviderProcess {
  url: string;
  /** How far the child's clock may be from this process's (ms): both small = one clock. */
  clock: { low: number; high: number };
  /** The stamp of `kind` for `message`, once it has come (forgotten once taken); `undefined` after `waitMs`. */
  take(kind: Kind, message: string, waitMs?: number): Promise<number | undefined>;
  lagReset(): Promise<void>;
  lag(): Promise<{ p50: number; p99: number; max: number }>;
  close(): Promise<void>;
}

export async function startProviderProcess(): Promise<ProviderProcess> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const child = await forkChild<{ url: string }>(path.join(here, "chat-provider-process.ts"));
  const stamps = new Map<string, number>();
  const waiting = new Map<string, (at: number) => void>();
  child.onPush((m) => {
    for (const [kind, message, at] of (m.stamps ?? []) as [Kind, string, number][]) {
      const key = `${kind} ${message}`;
      const w = waiting.get(key);
      if (w) {
        waiting.delete(key);
        w(at);
      } else stamps.set(key, at);
    }
  });
  const clock = await clockCheck(child);
  return {
    url: child.ready.url,
    clock,
    take(kind, message, waitMs = 2000) {
      const key = `${kind} ${message}`;
      const at = stamps.get(key);
      if (at !== undefined) {
        stamps.delete(key);
        return Promise.resolve(at);
      }
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiting.delete(key);
          resolve(undefined);
        }, waitMs);
        waiting.set(key, (t) => {
          clearTimeout(timer);
          resolve(t);
        });
      });
    },
    lagReset: async () => void (await child.ask({ type: "lag-reset" })),
    lag: () => child.ask({ type: "lag" }),
    close: () => child.stop(),
  };
}
