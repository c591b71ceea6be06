// Shared helpers for integration tests: the test configuration (scripts/test.sh points it at the
// test database and store), free ports, and child processes that are always cleaned up.
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { getConfig } from "@/lib/config";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const settings = () => getConfig().settings;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The shared settings document the processes a test file starts use (one per file, so one file's
 * settings changes never reach another's gateways); a test may pass its own SOMA_SETTINGS_SCOPE.
 */
export const SETTINGS_SCOPE = `test-${crypto.randomUUID()}`;

/** The processes this test file started and has not seen exit (tests/setup/leaked-processes.ts). */
export const startedProcesses = new Set<ChildProcess & { output: () => string }>();

export function startProcess(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): ChildProcess & { output: () => string } {
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, SOMA_SETTINGS_SCOPE: SETTINGS_SCOPE, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const started = Object.assign(child, { output: () => out });
  startedProcesses.add(started);
  child.once("exit", () => startedProcesses.delete(started));
  return started;
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
  if (child.exitCode !== null || child.signalCode !== null) return;
  // Killed, and waited for: it is gone when this returns.
  child.kill("SIGKILL");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
}

/** A redis-server of the test's own on `port` (no persistence), ready to take connections. */
export async function startPrivateRedis(port: number): Promise<ReturnType<typeof startProcess>> {
  const proc = startProcess("redis-server", [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
  ]);
  await waitUntil(async () => proc.output().includes("Ready to accept connections"), 10_000, "private redis");
  return proc;
}
