// Writes of one kind as few statements (lib/db/statement-batcher.ts): one alone goes out at once and
// alone; those arriving while statements run share the next one; a failing batch is retried one by
// one, so only the bad write fails; a batch answering the wrong number of rows fails its callers.
import { describe, expect, it } from "vitest";
import { StatementBatcher } from "@/lib/db/statement-batcher";

/** A stand-in statement runner: holds each statement until released, records what it was sent. */
function runner() {
  const sent: number[][] = [];
  const held: (() => void)[] = [];
  const run = (items: number[]) =>
    new Promise<number[]>((resolve, reject) => {
      sent.push(items);
      held.push(() =>
        items.includes(-1) ? reject(new Error("bad row")) : resolve(items.map((i) => i * 10)),
      );
    });
  const releaseAll = async () => {
    while (held.length) {
      held.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { sent, run, releaseAll };
}

describe("statement batcher", () => {
  it("sends a write alone and at once when nothing else is running", async () => {
    const r = runner();
    const b = new StatementBatcher({
      many: r.run,
      one: async (i: number) => (await r.run([i]))[0]!,
      maxInFlight: 1,
    });
    const out = b.write(1);
    expect(r.sent).toEqual([[1]]);
    await r.releaseAll();
    expect(await out).toBe(10);
  });

  it("puts the writes that arrive while statements run into the next one, each answered", async () => {
    const r = runner();
    const b = new StatementBatcher({
      many: r.run,
      one: async (i: number) => (await r.run([i]))[0]!,
      maxInFlight: 2,
    });
    const outs = [1, 2, 3, 4, 5].map((i) => b.write(i));
    expect(r.sent).toEqual([[1], [2]]);
    await r.releaseAll();
    expect(await Promise.all(outs)).toEqual([10, 20, 30, 40, 50]);
    expect(r.sent).toEqual([[1], [2], [3, 4, 5]]);
  });

  it("keeps batches to maxBatch rows", async () => {
    const r = runner();
    const b = new StatementBatcher({
      many: r.run,
      one: async (i: number) => (await r.run([i]))[0]!,
      maxInFlight: 1,
      maxBatch: 2,
    });
    const outs = [1, 2, 3, 4, 5].map((i) => b.write(i));
    await r.releaseAll();
    await Promise.all(outs);
    expect(r.sent).toEqual([[1], [2, 3], [4, 5]]);
  });

  it("retries a failed batch one write at a time: only the bad one fails", async () => {
    const r = runner();
    const b = new StatementBatcher({
      many: r.run,
      one: async (i: number) => (await r.run([i]))[0]!,
      maxInFlight: 1,
    });
    const outs = [1, 2, -1, 3].map((i) =>
      b.write(i).then(
        (v) => `ok ${v}`,
        (e: Error) => e.message,
      ),
    );
    await r.releaseAll();
    expect(await Promise.all(outs)).toEqual(["ok 10", "ok 20", "bad row", "ok 30"]);
  });

  it("fails every caller of a batch that answered the wrong number of rows, writing none again", async () => {
    let statements = 0;
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    const b = new StatementBatcher({
      many: async (items: number[]) => {
        statements++;
        return items.slice(1).map((i) => i * 10); // a statement that drops a row
      },
      one: async (i: number) => {
        statements++;
        if (i === 0) await first; // holds the only slot while the others queue
        return i * 10;
      },
      maxInFlight: 1,
    });
    const holder = b.write(0);
    const outs = [1, 2, 3].map((i) =>
      b.write(i).then(
        (v) => `ok ${v}`,
        (e: Error) => e.message,
      ),
    );
    release();
    expect(await holder).toBe(0);
    expect(await Promise.all(outs)).toEqual(
      Array(3).fill("a batch of 3 rows answered 2: a bug in its statement"),
    );
    expect(statements).toBe(2); // the held write and the batch; no row written again alone
  });
});
