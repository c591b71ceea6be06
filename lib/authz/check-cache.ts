// OpenFGA's answers to "may this user see/write this session", kept in the process so a turn asks
// OpenFGA at most once per session and person instead of on every message; and, under the same rules,
// what a write needs of the session's row (its tenant and owner, that it is not deleted), so a message
// asks Postgres only when it writes its turn (which checks the row again in the same statement:
// lib/agent/turn-rows.ts). Whatever changes an answer publishes on Redis (publishAuthzChange: a share,
// an unshare, a deletion, a rename, a tenant role change), and every process drops what it holds for
// that session or user; the publishing process drops it before the publish, so the change holds for
// its own next request. Answers are kept only while the subscription is live (a dropped connection
// may have lost messages: everything is dropped), an answer that raced a change is not kept, and
// nothing is kept longer than a minute.
import type { Redis } from "ioredis";
import { channelHub } from "../realtime/channel-hub";
import { watchChannel, type ChannelWatch, type HubForWatch } from "../realtime/channel-watch";
import { getConfig } from "../config";
import { existingSingleton, singleton } from "../singleton";

export const AUTHZ_CHANNEL = "authz:changed";
const TTL_MS = 60_000;
const MAX_ENTRIES = 100_000;

/** What an answer is about, as published: `session:<id>`, `user:<id>`, or `all` (a backfill, a model). */
export type AuthzScope = { sessionId: string } | { userId: string } | "all";

interface Entry {
  value: unknown;
  /** The user a `user:<id>` change drops it for (the person asking; a row's owner). */
  userId: string;
  at: number;
}

/** The key of a session's row among its entries (answers are keyed `${userId}|${relation}`). */
const ROW = "row";

export class CheckCache {
  /** By session id, then `${userId}|${relation}` or ROW. */
  private bySession = new Map<string, Map<string, Entry>>();
  private size = 0;
  /** Bumped by every change; an answer fetched across a change is not kept. */
  private epoch = 0;
  private readonly watch: ChannelWatch;

  constructor(hub: HubForWatch) {
    this.watch = watchChannel(
      hub,
      AUTHZ_CHANNEL,
      { message: (m) => this.drop(m), interrupted: () => this.clear() },
      "OpenFGA asked every time",
    );
  }

  private get usable(): boolean {
    return this.watch.trusted;
  }

  /** The cached answer, or `ask()`'s (kept when nothing changed meanwhile). */
  check(userId: string, sessionId: string, relation: string, ask: () => Promise<boolean>): Promise<boolean> {
    return this.remember(sessionId, `${userId}|${relation}`, () => userId, ask);
  }

  /**
   * What is kept of a session's row, or `load()`'s (kept when nothing changed meanwhile; `undefined`,
   * a session that is not there, is never kept).
   */
  row<T extends { ownerId: string }>(sessionId: string, load: () => Promise<T | undefined>) {
    return this.remember(sessionId, ROW, (r) => r.ownerId, load);
  }

  /** A kept row's new title (renamed by this process; who may reach the session is unchanged). */
  retitle(sessionId: string, title: string): void {
    const entry = this.bySession.get(sessionId)?.get(ROW);
    if (entry) entry.value = { ...(entry.value as object), title };
  }

  private async remember<T>(
    sessionId: string,
    key: string,
    userOf: (value: NonNullable<T>) => string,
    load: () => Promise<T>,
  ): Promise<T> {
    const hit = this.usable ? this.bySession.get(sessionId)?.get(key) : undefined;
    if (hit && performance.now() - hit.at < TTL_MS) return hit.value as T;
    const epoch = this.epoch;
    const value = await load();
    if (value !== undefined && this.usable && epoch === this.epoch) {
      if (this.size >= MAX_ENTRIES) this.clear();
      let entries = this.bySession.get(sessionId);
      if (!entries) this.bySession.set(sessionId, (entries = new Map<string, Entry>()));
      if (!entries.has(key)) this.size++;
      entries.set(key, { value, userId: userOf(value as NonNullable<T>), at: performance.now() });
    }
    return value;
  }

  /** Drops the answers a change touches: `session:<id>` or `user:<id>`. */
  drop(scope: string): void {
    this.epoch++;
    if (scope.startsWith("session:")) {
      const id = scope.slice("session:".length);
      this.size -= this.bySession.get(id)?.size ?? 0;
      this.bySession.delete(id);
    } else if (scope.startsWith("user:")) {
      const userId = scope.slice("user:".length);
      for (const entries of this.bySession.values())
        for (const [key, entry] of entries)
          if (entry.userId === userId) {
            entries.delete(key);
            this.size--;
          }
    } else this.clear();
  }

  clear(): void {
    this.epoch++;
    this.bySession.clear();
    this.size = 0;
  }
}

const CACHE = "authz-check-cache";

export function checkCache(): CheckCache {
  return singleton(CACHE, () => new CheckCache(channelHub(getConfig().settings.redis.url)));
}

const scopeOf = (s: AuthzScope) =>
  s === "all" ? "all" : "sessionId" in s ? `session:${s.sessionId}` : `user:${s.userId}`;

/** A session renamed by this process: the row it keeps, if it keeps one, has the new title. */
export function retitleKeptSession(sessionId: string, title: string): void {
  existingSingleton<CheckCache>(CACHE)?.retitle(sessionId, title);
}

/** After OpenFGA's tuples changed: this process forgets at once, every other one on the message. */
export async function publishAuthzChange(redis: Redis, scope: AuthzScope): Promise<void> {
  existingSingleton<CheckCache>(CACHE)?.drop(scopeOf(scope));
  await redis.publish(AUTHZ_CHANNEL, scopeOf(scope));
}
