// The OpenFGA answer cache: kept per session and person, dropped by a published change (session or
// user), never kept across a change that raced the check, nor while the subscription is down.
import { describe, expect, it } from "vitest";
import { CheckCache } from "@/lib/authz/check-cache";

/** The subscription side of a channel hub, in memory: `publish` delivers as Redis would. */
function hub() {
  const listeners: ((m: string) => void)[] = [];
  const interrupts: (() => void)[] = [];
  return {
    live: true,
    listen: (_channel: string, fn: (m: string) => void) => Promise.resolve(listeners.push(fn)),
    onInterrupt: (fn: () => void) => interrupts.push(fn),
    publish: (m: string) => listeners.forEach((fn) => fn(m)),
    interrupt() {
      this.live = false;
      interrupts.forEach((fn) => fn());
    },
  };
}

/** An OpenFGA stand-in answering `answer` and counting the questions. */
function fga(answer: boolean) {
  const f = { answer, asked: 0, ask: () => (f.asked++, Promise.resolve(f.answer)) };
  return f;
}

const ready = () => new Promise((r) => setImmediate(r));

describe("authz check cache", () => {
  it("asks once per session, person and relation", async () => {
    const cache = new CheckCache(hub());
    await ready();
    const f = fga(true);
    expect(await cache.check("u1", "s1", "can_view", f.ask)).toBe(true);
    expect(await cache.check("u1", "s1", "can_view", f.ask)).toBe(true);
    expect(f.asked).toBe(1);
    await cache.check("u1", "s1", "can_write", f.ask);
    await cache.check("u2", "s1", "can_view", f.ask);
    await cache.check("u1", "s2", "can_view", f.ask);
    expect(f.asked).toBe(4);
  });

  it("keeps a session's row under its new name after a rename in this process", async () => {
    const cache = new CheckCache(hub());
    await ready();
    let loads = 0;
    const load = () => (loads++, Promise.resolve({ id: "s1", title: "New chat", ownerId: "u1" }));
    expect(await cache.row("s1", load)).toMatchObject({ title: "New chat" });
    cache.retitle("s1", "Trip to Lisbon");
    cache.retitle("s2", "not kept: nothing happens");
    expect(await cache.row("s1", load)).toEqual({ id: "s1", title: "Trip to Lisbon", ownerId: "u1" });
    expect(loads).toBe(1);
    expect(await cache.row("s2", () => Promise.resolve(undefined))).toBeUndefined();
  });

  it("forgets a session's answers when a change to it is published (an unshare: refused next time)", async () => {
    const h = hub();
    const cache = new CheckCache(h);
    await ready();
    const f = fga(true);
    await cache.check("viewer", "s1", "can_view", f.ask);
    await cache.check("viewer", "s2", "can_view", f.ask);
    f.answer = false;
    h.publish("session:s1");
    expect(await cache.check("viewer", "s1", "can_view", f.ask)).toBe(false);
    expect(await cache.check("viewer", "s2", "can_view", f.ask)).toBe(true); // untouched
    expect(f.asked).toBe(3);
  });

  it("forgets a user's answers on every session when their role changes, and no one else's", async () => {
    const h = hub();
    const cache = new CheckCache(h);
    await ready();
    const f = fga(true);
    await cache.check("admin", "s1", "can_view", f.ask);
    await cache.check("admin", "s2", "can_view", f.ask);
    await cache.check("other", "s1", "can_view", f.ask);
    f.answer = false;
    h.publish("user:admin");
    expect(await cache.check("admin", "s1", "can_view", f.ask)).toBe(false);
    expect(await cache.check("admin", "s2", "can_view", f.ask)).toBe(false);
    expect(await cache.check("other", "s1", "can_view", f.ask)).toBe(true);
    expect(f.asked).toBe(5);
  });

  it("forgets everything on `all` (the migration job's backfill)", async () => {
    const h = hub();
    const cache = new CheckCache(h);
    await ready();
    const f = fga(false);
    await cache.check("u1", "s1", "can_view", f.ask);
    await cache.check("u2", "s2", "can_write", f.ask);
    f.answer = true;
    h.publish("all");
    expect(await cache.check("u1", "s1", "can_view", f.ask)).toBe(true);
    expect(await cache.check("u2", "s2", "can_write", f.ask)).toBe(true);
    expect(f.asked).toBe(4);
  });

  it("does not keep an answer fetched while a change was published", async () => {
    const h = hub();
    const cache = new CheckCache(h);
    await ready();
    let release!: () => void;
    const slow = () => new Promise<boolean>((r) => (release = () => r(true)));
    const pending = cache.check("viewer", "s1", "can_view", slow);
    h.publish("session:s1"); // the unshare lands while OpenFGA answers from before it
    release();
    expect(await pending).toBe(true);
    const f = fga(false);
    expect(await cache.check("viewer", "s1", "can_view", f.ask)).toBe(false);
    expect(f.asked).toBe(1);
  });

  it("keeps nothing while the subscription is down, and drops what it had when it went", async () => {
    const h = hub();
    const cache = new CheckCache(h);
    await ready();
    const f = fga(true);
    await cache.check("u", "s", "can_view", f.ask);
    h.interrupt();
    f.answer = false;
    expect(await cache.check("u", "s", "can_view", f.ask)).toBe(false);
    expect(await cache.check("u", "s", "can_view", f.ask)).toBe(false);
    expect(f.asked).toBe(3);
  });

  it("keeps nothing before it is subscribed", async () => {
    const cache = new CheckCache({ ...hub(), listen: () => new Promise(() => undefined) });
    const f = fga(true);
    await cache.check("u", "s", "can_view", f.ask);
    await cache.check("u", "s", "can_view", f.ask);
    expect(f.asked).toBe(2);
  });

  it("keeps a session's row like an answer: dropped by a change to the session or to its owner", async () => {
    const h = hub();
    const cache = new CheckCache(h);
    await ready();
    let loads = 0;
    const row = { id: "s1", ownerId: "owner", title: "New chat" };
    const load = () => (loads++, Promise.resolve(row));
    await cache.row("s1", load);
    await cache.row("s1", load);
    expect(loads).toBe(1);
    h.publish("user:someone-else");
    await cache.row("s1", load);
    expect(loads).toBe(1);
    h.publish("session:s1"); // a deletion
    await cache.row("s1", load);
    expect(loads).toBe(2);
    h.publish("user:owner");
    await cache.row("s1", load);
    expect(loads).toBe(3);
  });

  it("does not keep a session that is not there", async () => {
    const cache = new CheckCache(hub());
    await ready();
    let loads = 0;
    const missing = () => (loads++, Promise.resolve(undefined));
    expect(await cache.row("gone", missing)).toBeUndefined();
    expect(await cache.row("gone", missing)).toBeUndefined();
    expect(loads).toBe(2);
  });
});
