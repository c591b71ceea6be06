// How long tool calls in flight wait when their executor is killed (SIGKILL), on BullMQ and Kafka:
// from the kill to the last of the calls it was running finished, and to the last of all the calls
// (completed_at in Postgres). Two cases:
//   replaced: the only executor is killed and a new one started at once (what the supervisor does);
//   survivor: one of two executors in the group is killed; the other takes its calls over.
// Baseline from the same run: the same calls with no kill, from the same moment (all calls running)
// to the last finished, i.e. what the calls needed anyway.
// Needs the services (make dev-up or scripts/services/up.sh); starts its own executors.
// Run: npx tsx bench/executor-takeover.ts [rounds=2] [transports=bullmq,kafka]
import {
  gatewaySide,
  startExecutor,
  stopProcess,
  type ExecutorProcess,
  type Transport,
} from "../tests/helpers/executor";
import { waitUntil } from "../tests/helpers/services";

const rounds = Number(process.argv[2] ?? 2);
const transports = (process.argv[3] ?? "bullmq,kafka").split(",") as Transport[];
const CALLS = 8;
const CALL_SECONDS = 3;
// Plain workspace directories: making 8 workspace images at once would swamp what is measured.
const env = {
  SOMA_AGENT_TOOL_TIMEOUT_MS: "30000",
  SOMA_EXECUTOR_CONCURRENCY: "4",
  SOMA_EXECUTOR_WORKSPACE_MAX_MB: "0",
};

type Case = "baseline" | "replaced" | "survivor";

async function once(transport: Transport, kind: Case): Promise<{ inFlight: number; all: number } | null> {
  const gw = await gatewaySide(transport);
  const executors: ExecutorProcess[] = [];
  try {
    executors.push(await startExecutor(transport, env));
    if (kind !== "replaced") executors.push(await startExecutor(transport, env));
    // Both members hold work before it arrives (a Kafka group settles after a join).
    await new Promise((r) => setTimeout(r, transport === "kafka" ? 8_000 : 500));
    const sessions = await Promise.all(Array.from({ length: CALLS }, () => gw.newSession()));
    const ids = await Promise.all(
      sessions.map((s, i) =>
        gw.enqueue("code_execution", { runtime: "bash", code: `sleep ${CALL_SECONDS}; echo ${i}` }, s),
      ),
    );
    const victim = executors[0]!;
    // The moment measured from: the victim runs calls (for the baseline too, where it is not killed).
    let inFlight: string[] = [];
    await waitUntil(
      async () => {
        const running = await gw.db.toolCall.findMany({
          where: { id: { in: ids }, status: "running", claimedBy: { contains: `:${victim.pid}:` } },
          select: { id: true },
        });
        inFlight = running.map((r) => r.id);
        return inFlight.length > 0;
      },
      60_000,
      "the first executor to run calls",
    );
    const t0 = Date.now();
    if (kind !== "baseline") {
      victim.kill("SIGKILL");
      await new Promise((r) => victim.once("exit", r));
      if (kind === "replaced") executors.push(await startExecutor(transport, env));
    }
    const done = await Promise.all(ids.map((id) => gw.wait(id, 180_000)));
    const bad = done.filter((d) => d?.status !== "succeeded");
    if (bad.length) {
      console.log(`  ${transport} ${kind}: ${bad.length} calls did not succeed; sample dropped`);
      return null;
    }
    const rows = await gw.db.toolCall.findMany({
      where: { id: { in: ids } },
      select: { id: true, completedAt: true },
    });
    const last = (of: typeof rows) => Math.max(...of.map((r) => r.completedAt!.getTime())) - t0;
    return { inFlight: last(rows.filter((r) => inFlight.includes(r.id))), all: last(rows) };
  } finally {
    await Promise.all(executors.map((e) => stopProcess(e)));
    await gw.close();
  }
}

const sec = (ms: number) => (ms / 1000).toFixed(1);
for (const transport of transports) {
  for (const kind of ["baseline", "replaced", "survivor"] as const) {
    const samples: { inFlight: number; all: number }[] = [];
    let dropped = 0;
    for (let r = 0; r < rounds; r++) {
      const m = await once(transport, kind);
      if (m === null) dropped++;
      else samples.push(m);
    }
    console.log(
      `${transport.padEnd(6)} ${kind.padEnd(8)}: kill → calls in flight on it finished ${samples.map((m) => sec(m.inFlight)).join(", ")} s; ` +
        `→ all ${CALLS} calls (${CALL_SECONDS} s each) finished ${samples.map((m) => sec(m.all)).join(", ")} s${dropped ? `; ${dropped} dropped` : ""}`,
    );
  }
}
process.exit(0);
