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
  private patterns = new Map<string, (channel: string, message: string) => void>();
  private interrupted = new Set<() => void>();
  private resumed = new Set<() => void>();
  private wasClosed = false;
  constructor(redisUrl: string) {
    this.sub = createRedis(redisUrl, { blocking: true });
    this.sub.on("error", () => undefined);
    // Messages published while the connection is down are lost: whoever keeps state by them drops it.
    this.sub.on("close", () => {
      this.wasClosed = true;
      for (const fn of this.interrupted) fn();
    });
    // Back (ioredis has subscribed again): whoever waits for a message may look for what it missed.
    this.sub.on("ready", () => {
      if (!this.wasClosed) return;
      this.wasClosed = false;
      for (const fn of this.resumed) fn();
    });
    this.sub.on("message", (channel: string, message: string) => {
      for (const fn of this.listeners.get(channel) ?? []) fn(message);
    });
    this.sub.on("pmessage", (pattern: string, channel: string, message: string) => {
      this.patterns.get(pattern)?.(channel, message);
    });
  }

  /**
   * One listener for every channel matching `pattern` (PSUBSCRIBE), for channels made per item and
   * heard all the time (a tool call's result): no subscribe and unsubscribe per item.
   */
  async listenPattern(pattern: string, fn: (channel: string, message: string) => void): Promise<void> {
    if (this.patterns.has(pattern)) throw new Error(`${pattern} has a listener already`);
    this.patterns.set(pattern, fn);
    await this.ready();
    await this.sub.psubscribe(pattern);
  }

  /** Resolves once the subscription is active; the returned function removes the listener. */
  async listen(channel: string, fn: Listener): Promise<() => Promise<void>> {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      set.add(fn);
      await this.ready();
      await this.sub.subscribe(channel);
    } else set.add(fn);
    return async () => {
      const current = this.listeners.get(channel);
      if (!current?.delete(fn) || current.size > 0) return;
      this.listeners.delete(channel);
      await this.sub.unsubscribe(channel).catch(() => undefined);
    };
  }

  /**
   * Subscribing only on a ready connection: a SUBSCRIBE sent between "connect" and "ready" puts the
   * connection in subscriber mode under ioredis's own ready check (INFO), which then fails with
   * "Connection in subscriber mode" and takes the process down. (Once subscribed, ioredis subscribes
   * again by itself after a reconnect.)
   */
  private ready(): Promise<void> {
    if (this.sub.status === "ready") return Promise.resolve();
    return new Promise((resolve) => this.sub.once("ready", () => resolve()));
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

  /** Calls `fn` whenever the connection is back after closing (subscribed again). */
  onResume(fn: () => void): () => void {
    this.resumed.add(fn);
    return () => this.resumed.delete(fn);
  }

  close(): void {
    this.sub.disconnect();
  }
}

export function channelHub(redisUrl: string): ChannelHub {
  return singleton(`channel-hub:${redisUrl}`, () => new ChannelHub(redisUrl));
}
