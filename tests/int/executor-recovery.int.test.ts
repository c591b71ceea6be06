// No lost and no doubled work: a killed executor's call completes exactly once after a restart,
// calls made while Kafka is down wait in the outbox and all complete after it returns, two
// executors in one group share calls without loss or duplicates, and the calls a killed executor
// had in flight are taken over and finished by the one left (bench/executor-takeover.ts times it).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  gatewaySide,
  startExecutor,
  stopProcess,
  type ExecutorProcess,
  type GatewaySide,
  type Transport,
} from "../helpers/executor";
import { createKafka } from "@/lib/server/kafka";
import { ROOT, settings, waitUntil } from "../helpers/services";

const run = promisify(execFile);

describe.each(["bullmq", "kafka"] as const)("over %s", (transport: Transport) => {
  let gw: GatewaySide;
  const executors: ExecutorProcess[] = [];
  const start = async () => {
    const e = await startExecutor(transport, { SOMA_AGENT_TOOL_TIMEOUT_MS: "20000" });
    executors.push(e);
    return e;
  };

  beforeAll(async () => {
    gw = await gatewaySide(transport);
  });
  afterAll(async () => {
    await Promise.all(executors.map((e) => stopProcess(e)));
    await gw?.close();
  });

  it("finishes a call exactly once when its executor is killed mid-run", async () => {
    const first = await start();
    const sessionId = await gw.newSession();
    const id = await gw.enqueue(
      "code_execution",
      { runtime: "bash", code: "sleep 2; echo ran >> runs.log; cat runs.log" },
      sessionId,
    );
    await waitUntil(
      async () => (await gw.db.toolCall.findUnique({ where: { id } }))?.status === "running",
      30_000,
      "the call to start",
    );
    first.kill("SIGKILL");
    await new Promise((r) => first.once("exit", r));
    await start();
    const done = await gw.wait(id, 90_000);
    expect(done?.status).toBe("succeeded");
    // The killed run never reached its echo; the finished one wrote exactly one line.
    expect(done?.result).toMatchObject({ stdout: "ran\n" });
    const rows = await gw.db.toolCall.findMany({ where: { id }, select: { status: true, attempts: true } });
    expect(rows).toEqual([{ status: "succeeded", attempts: 2 }]);
  }, 120_000);

  it("shares calls between two executors with no loss or duplicate", async () => {
    while (executors.filter((e) => e.exitCode === null && e.signalCode === null).length < 2) await start();
    if (transport === "kafka") {
      // Both members must hold partitions before the work arrives, or the first drains it alone.
      const admin = createKafka(settings().kafka, "recovery-test-admin").admin();
      await admin.connect();
      try {
        await waitUntil(
          async () => {
            const [group] = (await admin.describeGroups([settings().executor.consumerGroup])).groups;
            return (
              group?.state === "Stable" &&
              group.members.length === 2 &&
              group.members.every((m) => m.memberAssignment.length > 0)
            );
          },
          60_000,
          "both executors to join the consumer group",
        );
      } finally {
        await admin.disconnect();
      }
    }
    // Each call has its own session: over Kafka the keys then spread over both members' partitions
    // (with 10 sessions, all on one member's 2 of 3 partitions was 1 run in 60). BullMQ hands a job
    // to whichever worker asks first, and a burst of quick calls (under a second here) can be over
    // before a just-started executor asks: the calls come in waves of 100 until both have taken some.
    const claimedBy = new Set<string | null>();
    for (let wave = 0; wave < 5 && claimedBy.size < 2; wave++) {
      const sessions = await Promise.all(Array.from({ length: 100 }, () => gw.newSession()));
      const batch = await Promise.all(
        sessions.map((s, i) => gw.enqueue("response", { text: `w${wave}n${i}` }, s)),
      );
      const results = await Promise.all(batch.map((id) => gw.wait(id, 90_000)));
      expect(results.every((r) => r?.status === "succeeded")).toBe(true);
      const rows = await gw.db.toolCall.findMany({
        where: { id: { in: batch } },
        select: { attempts: true, claimedBy: true },
      });
      expect(rows).toHaveLength(100);
      expect(rows.every((r) => r.attempts === 1)).toBe(true);
      for (const r of rows) claimedBy.add(r.claimedBy);
    }
    expect(claimedBy.size).toBe(2);
  }, 120_000);

  it("finishes every call a killed executor had in flight, on the executor left", async () => {
    const live = executors.filter((e) => e.exitCode === null && e.signalCode === null);
    expect(live.length).toBe(2);
    const sessions = await Promise.all(Array.from({ length: 6 }, () => gw.newSession()));
    const ids = await Promise.all(
      sessions.map((s) =>
        gw.enqueue(
          "code_execution",
          { runtime: "bash", code: "sleep 2; echo ran >> runs.log; cat runs.log" },
          s,
        ),
      ),
    );
    // The victim is whichever executor runs calls first: over Kafka the six sessions' keys may all
    // land on the partitions of one of them (about 1 run in 30), so neither is chosen in advance.
    let inFlight: string[] = [];
    let running: ExecutorProcess | undefined;
    await waitUntil(
      async () => {
        const rows = await gw.db.toolCall.findMany({
          where: { id: { in: ids }, status: "running" },
          select: { id: true, claimedBy: true },
        });
        running = live.find((e) => rows.some((r) => r.claimedBy?.includes(`:${e.pid}:`)));
        inFlight = rows.filter((r) => running && r.claimedBy?.includes(`:${running.pid}:`)).map((r) => r.id);
        return inFlight.length > 0;
      },
      60_000,
      "an executor to run calls",
    );
    const victim = running!;
    const survivor = live.find((e) => e !== victim)!;
    victim.kill("SIGKILL");
    await new Promise((r) => victim.once("exit", r));

    const done = await Promise.all(ids.map((id) => gw.wait(id, 90_000)));
    expect(done.map((d) => d?.status)).toEqual(Array(6).fill("succeeded"));
    // Each call's run finished once: a killed run never reached its echo.
    expect(done.map((d) => d?.result)).toEqual(Array(6).fill(expect.objectContaining({ stdout: "ran\n" })));
    const taken = await gw.db.toolCall.findMany({
      where: { id: { in: inFlight } },
      select: { attempts: true, claimedBy: true },
    });
    expect(taken.length).toBe(inFlight.length);
    for (const row of taken) {
      expect(row.attempts).toBe(2);
      expect(row.claimedBy).toContain(`:${survivor.pid}:`);
    }
  }, 120_000);

  it("ends a call whose executors keep dying as failed once its attempts are spent", async () => {
    await Promise.all(executors.map((e) => stopProcess(e)));
    const track = (e: ExecutorProcess) => (executors.push(e), e);
    const limited = () => startExecutor(transport, { SOMA_EXECUTOR_MAX_ATTEMPTS: "2" }).then(track);
    const sessionId = await gw.newSession();
    const id = await gw.enqueue("code_execution", { runtime: "bash", code: "sleep 60" }, sessionId);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const e = await limited();
      await waitUntil(
        async () => {
          const row = await gw.db.toolCall.findUnique({
            where: { id },
            select: { claimedBy: true, status: true },
          });
          return row?.status === "running" && (row.claimedBy?.includes(`:${e.pid}:`) ?? false);
        },
        60_000,
        `attempt ${attempt} to start`,
      );
      e.kill("SIGKILL");
      await new Promise((r) => e.once("exit", r));
    }
    const last = await limited();
    const done = await gw.wait(id, 90_000);
    expect(done).toMatchObject({
      status: "failed",
      error:
        "gave up after 2 attempts: the executors running it stopped before it finished (killed or crashed)",
    });
    expect(last.output()).toContain("tool call failed: no attempts left");
  }, 180_000);
});

describe("a Kafka outage", () => {
  let gw: GatewaySide;
  let executor: ExecutorProcess;
  const kafka = (cmd: "start" | "stop") => run(`${ROOT}/scripts/services/kafka.sh`, [cmd], { cwd: ROOT });

  beforeAll(async () => {
    gw = await gatewaySide("kafka");
    executor = await startExecutor("kafka");
  });
  afterAll(async () => {
    // A failed start (the broker belongs to another clone) must not leave this file's executor running.
    await kafka("start").catch(() => undefined);
    if (executor) await stopProcess(executor);
    await gw?.close();
  });

  it("delays 20 calls in the outbox and loses none", async () => {
    await kafka("stop");
    const sessionId = await gw.newSession();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++)
      ids.push(await gw.enqueue("response", { text: `during outage ${i}` }, sessionId));
    await new Promise((r) => setTimeout(r, 2_000));
    const pending = await gw.db.outbox.count({ where: { toolCallId: { in: ids }, status: "pending" } });
    expect(pending).toBe(20);

    await kafka("start");
    const results = await Promise.all(ids.map((id) => gw.wait(id, 120_000)));
    expect(results.map((r) => r?.status)).toEqual(Array(20).fill("succeeded"));
    const rows = await gw.db.toolCall.findMany({ where: { id: { in: ids } }, select: { attempts: true } });
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
    expect(await gw.db.outbox.count({ where: { toolCallId: { in: ids }, status: { not: "sent" } } })).toBe(0);
  }, 180_000);
});
