// The processes' Redis client (lib/server/redis.ts), against a private redis-server this test can
// pause: a command Redis does not answer fails after the timeout, and one Redis answered while the
// process was busy for longer than that is read, not failed (ioredis's own commandTimeout failed it).
// The commands sent by one piece of work leave in one write, their replies in order.
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { createRedis } from "@/lib/server/redis";
import { freePort, startPrivateRedis, stopProcess, waitUntil } from "../helpers/services";

let redisProc: Awaited<ReturnType<typeof startPrivateRedis>>;
let client: Redis;

/** Keeps the event loop busy, as a long garbage collection or a burst of work does. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

beforeAll(async () => {
  const port = await freePort();
  redisProc = await startPrivateRedis(port);
  client = createRedis(`redis://127.0.0.1:${port}`);
  client.on("error", () => undefined);
  await client.ping();
}, 30_000);

afterAll(async () => {
  client?.disconnect();
  redisProc?.kill("SIGCONT");
  if (redisProc) await stopProcess(redisProc);
});

describe("the Redis client's command timeout", () => {
  it("reads a reply that arrived while the process was busy for longer than the timeout", async () => {
    const set = client.set("busy-test", "1");
    const get = client.get("busy-test");
    await new Promise((r) => process.nextTick(r)); // written: this piece of work is done
    busy(2_500);
    expect(await set).toBe("OK");
    expect(await get).toBe("1");
  });

  it("counts a command's time from when it was written, not from a stall before that", async () => {
    const get = client.get("busy-test");
    busy(2_500); // before the write: the command still waits in the process
    expect(await get).toBe("1");
  });

  it("fails a command Redis does not answer once the timeout has passed, and not before", async () => {
    redisProc.kill("SIGSTOP");
    try {
      const sent = performance.now();
      await expect(client.get("busy-test")).rejects.toThrow("Command timed out");
      expect(performance.now() - sent).toBeGreaterThanOrEqual(1_990);
    } finally {
      redisProc.kill("SIGCONT");
    }
    // The connection goes on once Redis answers again.
    await waitUntil(async () => (await client.get("busy-test").catch(() => null)) === "1", 10_000, "Redis");
  });
});

describe("the Redis client's writes", () => {
  it("sends the commands of one piece of work in one write, and each gets its own reply", async () => {
    const socket = (client as unknown as { stream: Socket & { _writev: Socket["_writev"] } }).stream;
    const writes: number[] = [];
    const writev = socket._writev!.bind(socket);
    const write = socket._write.bind(socket);
    socket._writev = (chunks, cb) => {
      writes.push(chunks.length);
      writev(chunks, cb);
    };
    socket._write = (chunk, encoding, cb) => {
      writes.push(1);
      write(chunk, encoding, cb);
    };
    try {
      const keys = Array.from({ length: 100 }, (_, i) => `write-test-${i}`);
      const sets = keys.map((k, i) => client.set(k, String(i)));
      expect(await Promise.all(sets)).toEqual(keys.map(() => "OK"));
      expect(writes).toEqual([100]);
      // The next piece of work (after the replies): its own write.
      writes.length = 0;
      expect(await Promise.all(keys.map((k) => client.get(k)))).toEqual(keys.map((_, i) => String(i)));
      expect(await client.del(...keys)).toBe(100);
      expect(writes).toEqual([100, 1]);
    } finally {
      socket._writev = writev;
      socket._write = write;
    }
  });
});
