// Round trip of a no-op tool (`response`) from the gateway's outbox write to the result waking the
// caller, on BullMQ and on Kafka, at 1 and at 50 concurrent calls. Prints p50/p99 in ms.
// Needs the services (make dev-up or scripts/services/up.sh) and starts its own executor.
// Run: npx tsx bench/tool-roundtrip.ts [iterations=200]
import { gatewaySide, startExecutor, stopProcess, type Transport } from "../tests/helpers/executor";

const iterations = Number(process.argv[2] ?? 200);

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(transport: Transport, concurrency: number) {
  const gw = await gatewaySide(transport);
  const executor = await startExecutor(transport, { SOMA_EXECUTOR_CONCURRENCY: "8" });
  try {
    const sessions = await Promise.all(
      Array.from({ length: Math.max(1, concurrency) }, () => gw.newSession()),
    );
    // Warm up: the tool host, Prisma and the broker connections.
    for (let i = 0; i < 10; i++) await gw.call("response", { text: "warm" }, { sessionId: sessions[0]! });
    const times: number[] = [];
    let next = 0;
    const worker = async (w: number) => {
      while (next < iterations) {
        next++;
        const t0 = performance.now();
        await gw.call("response", { text: "ping" }, { sessionId: sessions[w]! });
        times.push(performance.now() - t0);
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
    const wall = performance.now() - t0;
    times.sort((a, b) => a - b);
    console.log(
      `${transport.padEnd(6)} concurrency ${String(concurrency).padStart(2)}: p50 ${pct(times, 50).toFixed(1)} ms  p99 ${pct(times, 99).toFixed(1)} ms  (${times.length} calls, ${((times.length / wall) * 1000).toFixed(0)} calls/s)`,
    );
  } finally {
    await stopProcess(executor);
    await gw.close();
  }
}

for (const transport of ["bullmq", "kafka"] as const) {
  for (const concurrency of [1, 50]) await measure(transport, concurrency);
}
process.exit(0);
