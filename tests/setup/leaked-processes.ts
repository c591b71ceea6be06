// Every integration test file ends with no process it started still running: one left behind (a
// gateway whose partner failed to start, an executor a failed test never stopped) keeps its outbox
// relay and bus consumers on the shared test database and broker, and takes the next files' work
// (a Kafka-outage test saw its calls "sent" through a leaked gateway's BullMQ relay). Such a process
// is stopped here and the file fails, naming it, instead of a later file failing for no reason of its
// own.
import { afterAll } from "vitest";
import { startedProcesses, stopProcess } from "../helpers/services";

afterAll(async () => {
  const left = [...startedProcesses].filter((p) => p.exitCode === null && p.signalCode === null);
  await Promise.all(left.map((p) => stopProcess(p)));
  if (left.length > 0)
    throw new Error(
      `this file left ${left.length} process(es) running (now stopped): ${left.map((p) => p.spawnargs.join(" ")).join("; ")}`,
    );
}, 30_000);
