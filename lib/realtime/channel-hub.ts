// One Redis subscriber connection per process, shared by every listener: tool-result waiters,
// socket.io clients and SSE streams following a session. Channels are subscribed while at least one
// listener holds them.
import type { Redis } from "ioredis";
import { singleton } from "../singleton";
import { createRedis } from "../server/redis";

export type Listener = (message: string) => void;

export class ChannelHub {
  private sub: Redis;
  private listeners = new Map<string, Set<Listener>>();
  private interrupted = new Set<() => void>();
  constructor(redisUrl: string) {
    this.sub = createRedis(redisUrl, { blocking: true });
    this.sub.on("error", () => undefined);
    // Messages published while the connection is down are lost: whoever keeps state by them drops it.
    this.sub.on("close", () => {
      for (const fn of this.interrupted) fn();
    });
    this.sub.on("message", (channel: string, message: string) => {
      for (const fn of this.listeners.get(channel) ?? []) fn(message);
    });
  }

  /** Resolves once the subscription is active; the returned function removes the listener. */
  async listen(channel: string, fn: Listener): Promise<() => Promise<void>> {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      set.add(fn);
      await this.sub.subscribe(channel);
    } else set.add(fn);
    return async () => {
      const current = this.listeners.get(channel);
      if (!current?.delete(fn) || current.size > 0) return;
      this.listeners.delete(channel);
      await this.sub.unsubscribe(channel).catch(() => undefined);
    };
  }

  /** Whether messages are arriving now (subscribed on an open connection). */
  get live(): boolean {
    return this.sub.status === "ready";
  }

  /** Calls `fn` whenever the connection closes (messages may have been missed until it is back). */
  onInterrupt(fn: () => void): () => void {
    this.interrupted.add(fn);
    return () => this.interrupted.delete(fn);
  }

  close(): void {
    this.sub.disconnect();
  }
}

export function channelHub(redisUrl: string): ChannelHub {
  return singleton(`channel-hub:${redisUrl}`, () => new ChannelHub(redisUrl));
}
