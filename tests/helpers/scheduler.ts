// A real scheduler process (workers/scheduler) for integration tests, pointed at the test provider.
import type { StubServer } from "@/server/offline-provider/server";
import { gatewayEnv } from "./chat";
import { startProcess, stopProcess, waitUntil } from "./services";

export type SchedulerProcess = ReturnType<typeof startProcess>;

export async function startScheduler(stub: StubServer, extra: Record<string, string> = {}) {
  // node --import tsx (not npx): SIGKILL must reach the scheduler itself.
  // The gateway's model settings; the scheduler serves no port.
  const { PORT: _port, SOMA_SERVER_PUBLIC_URL: _url, ...env } = gatewayEnv(stub, 1, extra);
  const p = startProcess("node", ["--import", "tsx", "workers/scheduler/index.ts"], {
    ...env,
    SOMA_SCHEDULER_TICK_MS: "300",
    SOMA_SCHEDULER_RETRY_BACKOFF_MS: "300",
    SOMA_SCHEDULER_MAX_ATTEMPTS: "8", // retries over ~38 s
    SOMA_SCHEDULER_METRICS_PORT: "0", // several run side by side
    ...extra,
  });
  try {
    await waitUntil(
      async () => {
        if (p.exitCode !== null) throw new Error(`the scheduler exited with ${p.exitCode}`);
        return p.output().includes('"scheduler ready"');
      },
      60_000,
      "the scheduler to start",
    );
  } catch (err) {
    await stopProcess(p);
    throw new Error(`${(err as Error).message}\n${p.output().slice(-2000)}`, { cause: err });
  }
  return p;
}

export { stopProcess };
