// A tool call's wake-up: a small recorded result travels with it (the waiter skips reading it back),
// a large one does not, and anything else a wake-up carries makes the waiter read the row.
import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { INLINE_RESULT_BYTES, notifyToolDone, resultCarried } from "@/lib/tool-calls/result-notify";

function fakeRedis() {
  const published: [string, string][] = [];
  const redis = { publish: async (channel: string, message: string) => published.push([channel, message]) };
  return { redis: redis as unknown as Redis, published };
}

const ID = "0c0c874c-738c-4e44-9e5f-799ace037a95";

describe("a tool call's wake-up", () => {
  it("carries a small recorded result, which the waiter takes as it is", async () => {
    const { redis, published } = fakeRedis();
    const recorded = { status: "succeeded" as const, result: { stderr: "", stdout: "1\n" }, error: null };
    await notifyToolDone(redis, ID, recorded);
    expect(published).toEqual([[`toolcall:done:${ID}`, JSON.stringify(recorded)]]);
    expect(resultCarried(ID, published[0]![1])).toEqual({ id: ID, ...recorded });
  });

  it("leaves a large result in Postgres", async () => {
    const { redis, published } = fakeRedis();
    const big = { status: "succeeded" as const, result: "x".repeat(INLINE_RESULT_BYTES), error: null };
    await notifyToolDone(redis, ID, big);
    expect(published[0]![1]).toBe("1");
    expect(resultCarried(ID, "1")).toBeNull();
  });

  it("makes the waiter read the row for anything it does not recognise", () => {
    for (const message of [
      "",
      "{",
      "null",
      '{"status":"running","result":null,"error":null}',
      '{"status":"succeeded"}',
    ])
      expect(resultCarried(ID, message)).toBeNull();
  });
});
