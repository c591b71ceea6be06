// The maintenance state a turn's start reads from the process (lib/maintenance/watch.ts): replaced by
// each announced change, never kept across a change that raced the read, nor while the subscription
// is down, nor for longer than its bound; a view past its `until` is not in force.
import { describe, expect, it } from "vitest";
import { MaintenanceWatch } from "@/lib/maintenance/watch";
import { inForce, NO_MAINTENANCE, type MaintenanceView } from "@/lib/maintenance/view";

/** The subscription side of a channel hub, in memory: `publish` delivers as Redis would. */
function hub() {
  const listeners: ((m: string) => void)[] = [];
  const interrupts: (() => void)[] = [];
  return {
    live: true,
    listen: (_channel: string, fn: (m: string) => void) => Promise.resolve(listeners.push(fn)),
    onInterrupt: (fn: () => void) => interrupts.push(fn),
    publish: (view: MaintenanceView) => listeners.forEach((fn) => fn(JSON.stringify(view))),
    interrupt() {
      this.live = false;
      interrupts.forEach((fn) => fn());
    },
  };
}

/** Redis's key as the stand-in holds it, counting the reads. */
function store(view: MaintenanceView = NO_MAINTENANCE) {
  const s = { view, reads: 0, read: () => (s.reads++, Promise.resolve(s.view)) };
  return s;
}

const on = (until: string | null = null): MaintenanceView => ({
  active: true,
  message: "Upgrading",
  since: new Date().toISOString(),
  until,
});
const ready = () => new Promise((r) => setImmediate(r));

describe("maintenance watch", () => {
  it("reads Redis once, then answers from the process until a change is announced", async () => {
    const h = hub();
    const watch = new MaintenanceWatch(h, 60_000);
    await ready();
    const redis = store();
    expect(await watch.current(redis.read)).toEqual(NO_MAINTENANCE);
    expect(await watch.current(redis.read)).toEqual(NO_MAINTENANCE);
    expect(redis.reads).toBe(1);
    // Switched on by another process: the announcement alone changes the answer.
    redis.view = on();
    h.publish(redis.view);
    expect((await watch.current(redis.read)).active).toBe(true);
    redis.view = NO_MAINTENANCE;
    h.publish(NO_MAINTENANCE);
    expect((await watch.current(redis.read)).active).toBe(false);
    expect(redis.reads).toBe(1);
  });

  it("takes a change made in its own process at once (before the announcement comes back)", async () => {
    const watch = new MaintenanceWatch(hub(), 60_000);
    await ready();
    const redis = store();
    await watch.current(redis.read);
    watch.changed(on());
    expect((await watch.current(redis.read)).active).toBe(true);
  });

  it("does not keep a read that raced a change", async () => {
    const h = hub();
    const watch = new MaintenanceWatch(h, 60_000);
    await ready();
    let release!: () => void;
    const slow = () => new Promise<MaintenanceView>((r) => (release = () => r(NO_MAINTENANCE)));
    const pending = watch.current(slow);
    h.publish(on()); // switched on while the old state was on its way back
    release();
    expect((await pending).active).toBe(false);
    expect((await watch.current(store().read)).active).toBe(true);
  });

  it("shares one read among the messages that arrive while it is on its way", async () => {
    const watch = new MaintenanceWatch(hub(), 60_000);
    await ready();
    const redis = store(on());
    const views = await Promise.all([1, 2, 3].map(() => watch.current(redis.read)));
    expect(views.every((v) => v.active)).toBe(true);
    expect(redis.reads).toBe(1);
  });

  it("reads Redis every time while the subscription is down, and forgets what it had", async () => {
    const h = hub();
    const watch = new MaintenanceWatch(h, 60_000);
    await ready();
    const redis = store();
    await watch.current(redis.read);
    h.interrupt();
    redis.view = on(); // announced while the connection was down: missed
    expect((await watch.current(redis.read)).active).toBe(true);
    expect((await watch.current(redis.read)).active).toBe(true);
    expect(redis.reads).toBe(3);
  });

  it("keeps nothing before it is subscribed", async () => {
    const watch = new MaintenanceWatch({ ...hub(), listen: () => new Promise(() => undefined) }, 60_000);
    const redis = store();
    await watch.current(redis.read);
    await watch.current(redis.read);
    expect(redis.reads).toBe(2);
  });

  it("reads again once its copy is older than its bound (a key changed by hand)", async () => {
    const watch = new MaintenanceWatch(hub(), 0);
    await ready();
    const redis = store();
    await watch.current(redis.read);
    redis.view = on();
    expect((await watch.current(redis.read)).active).toBe(true);
    expect(redis.reads).toBe(2);
  });

  it("a kept view past its `until` is not in force", () => {
    expect(inForce(on(new Date(Date.now() - 1).toISOString()))).toBe(false);
    expect(inForce(on(new Date(Date.now() + 60_000).toISOString()))).toBe(true);
  });
});
