// The provider account's per-minute limits from settings, in real Redis: a call over the requests
// limit waits for the window to free; one over the tokens limit waits for the next minute (or until
// the turn is stopped); no limit, no waiting.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countProviderTokens, pacingId, waitForProviderRoom } from "@/lib/agent/provider-pacing";
import { createRedis } from "@/lib/server/redis";
import { settings } from "../helpers/services";

const redis = createRedis(settings().redis.url);
beforeAll(async () => {
  await redis.ping(); // connected before the first timing
});
afterAll(() => redis.disconnect());
/** "Did not wait for the window": well under the 300+ ms a held call waits, with room for a busy machine. */
const AT_ONCE_MS = 200;

const target = (rpm: number, tpm: number) => ({
  baseUrl: "http://provider.test/v1",
  model: randomUUID(),
  rpm,
  tpm,
});
const never = new AbortController().signal;

describe("provider pacing", () => {
  it("lets `rpm` calls through at once and makes the next wait until the window frees", async () => {
    const t = target(2, 0);
    expect((await waitForProviderRoom(redis, t, never, 400)).waitedMs).toBeLessThan(AT_ONCE_MS);
    expect((await waitForProviderRoom(redis, t, never, 400)).waitedMs).toBeLessThan(AT_ONCE_MS);
    const third = await waitForProviderRoom(redis, t, never, 400);
    expect(third.waitedMs).toBeGreaterThanOrEqual(300);
    expect(third.waitedMs).toBeLessThan(1500);
    expect(await redis.keys(`*provider:*${pacingId(t)}*`)).toEqual([`ratelimit:provider:rpm:${pacingId(t)}`]);
  });

  it("holds calls once this minute's tokens reach `tpm`, until the turn is stopped", async () => {
    const t = target(0, 100);
    expect((await waitForProviderRoom(redis, t, never)).waitedMs).toBeLessThan(AT_ONCE_MS);
    await countProviderTokens(redis, t, 100);
    const stop = new AbortController();
    setTimeout(() => stop.abort("cancelled"), 200);
    const held = await waitForProviderRoom(redis, t, stop.signal);
    expect(held.waitedMs).toBeGreaterThanOrEqual(190);
  });

  it("does nothing when no limit is set", async () => {
    const t = target(0, 0);
    for (let i = 0; i < 5; i++)
      expect((await waitForProviderRoom(redis, t, never)).waitedMs).toBeLessThan(AT_ONCE_MS);
    await countProviderTokens(redis, t, 1000);
    expect(await redis.keys(`*provider:*${pacingId(t)}*`)).toEqual([]);
  });
});
