// The workspace quota (executor.workspaceMaxMb): each session's workspace is its own loop-mounted
// ext4 image. A sandboxed program writing past it gets "No space left on device", the session goes on
// working, other sessions keep their own room, the host disk holds no more than the image, and a
// clean stop or a deleted session leaves no mount behind. Needs root and loop devices (as the
// executor's sandbox does); every mount made here is undone in afterAll.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepWorkspaces } from "@/lib/executor/workspace-sweeper";
import { imagePath, isMounted } from "@/lib/sandbox/workspace-quota";
import {
  gatewaySide,
  startExecutor,
  stopProcess,
  type ExecutorProcess,
  type GatewaySide,
} from "../helpers/executor";

const QUOTA_MB = 32;
const root = fs.mkdtempSync(path.join(os.tmpdir(), "soma-quota-"));
fs.chmodSync(root, 0o711); // sandbox users must reach their workspace under it
const env = {
  SOMA_EXECUTOR_WORKSPACE_ROOT: root,
  SOMA_EXECUTOR_WORKSPACE_MAX_MB: String(QUOTA_MB),
  SOMA_AGENT_TOOL_TIMEOUT_MS: "15000",
};

/** Mount points under the test's workspace root, from the kernel's own table. */
function mountsUnderRoot(): string[] {
  return fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((mountPoint) => mountPoint.startsWith(root + "/"));
}

let gw: GatewaySide;
let executor: ExecutorProcess | undefined;

beforeAll(async () => {
  gw = await gatewaySide("bullmq");
  executor = await startExecutor("bullmq", env);
});
afterAll(async () => {
  if (executor) await stopProcess(executor);
  await gw?.close();
  // Whatever a failed test left mounted: undo it, deepest first.
  for (const mountPoint of mountsUnderRoot().reverse()) execFileSync("umount", ["-l", mountPoint]);
  fs.rmSync(root, { recursive: true, force: true });
});

const bash = (code: string, sessionId: string) =>
  gw.call("code_execution", { runtime: "bash", code }, { sessionId, timeoutMs: 60_000 });
const stdout = (r: { result: unknown }) => (r.result as { stdout: string }).stdout;

// Six files of 10 MB (each under the per-file size limit): 60 MB into a 32 MiB workspace.
const FILL =
  "for i in $(seq 6); do dd if=/dev/zero of=f$i bs=1M count=10 2>&1 | grep -o 'No space left on device'; done | head -n 1; du -sm . | cut -f1";

describe("the workspace quota", () => {
  let hostile: string;

  it("is enabled at start on this host", () => {
    expect(executor!.output()).toContain('"workspace quota available"');
  });

  it("stops a program filling its workspace, and another session keeps its own room", async () => {
    hostile = await gw.newSession();
    const neighbour = await gw.newSession();
    const [filled, other] = await Promise.all([
      bash(FILL, hostile),
      bash(
        "for i in 1 2; do dd if=/dev/zero of=n$i bs=1M count=10 status=none || exit 1; done; echo wrote",
        neighbour,
      ),
    ]);
    expect(filled.status).toBe("succeeded");
    const out = stdout(filled);
    expect(out).toContain("No space left on device");
    expect(Number(out.trim().split("\n").at(-1))).toBeLessThanOrEqual(QUOTA_MB);
    // The neighbour wrote its 20 MB whole, in its own image.
    expect(other.status).toBe("succeeded");
    expect(stdout(other)).toBe("wrote\n");

    // The workspace is a mount of its own, and the host disk holds no more than the image's size.
    expect(isMounted(path.join(root, hostile))).toBe(true);
    const onDisk = fs.statSync(imagePath(root, hostile)).blocks * 512;
    expect(onDisk).toBeLessThanOrEqual(QUOTA_MB * 1024 * 1024);
  });

  it("keeps serving the session that filled its workspace", async () => {
    const r = await bash("rm -f f*; echo again > note; cat note; ls", hostile);
    expect(r.status).toBe("succeeded");
    expect(stdout(r)).toBe("again\nnote\n"); // and no lost+found in the workspace
    const read = await gw.call("workspace_files", { action: "read", path: "note" }, { sessionId: hostile });
    expect(read.status).toBe("succeeded");
    expect(JSON.stringify(read.result)).toContain("again");
  });

  it("leaves no mount after a clean stop; the files come back with the next call", async () => {
    await stopProcess(executor!);
    executor = undefined;
    expect(mountsUnderRoot()).toEqual([]);
    // Underneath, the mount point is root's alone: a sandbox binding it unmounted cannot write there.
    const under = fs.statSync(path.join(root, hostile));
    expect([under.uid, under.mode & 0o777]).toEqual([0, 0o700]);

    executor = await startExecutor("bullmq", env);
    const r = await bash("cat note", hostile);
    expect(stdout(r)).toBe("again\n");
  });

  it("unmounts and deletes a deleted session's workspace image", async () => {
    await gw.db.session.update({ where: { id: hostile }, data: { deletedAt: new Date() } });
    const removed = await sweepWorkspaces(gw.db, root, pino({ level: "silent" }));
    expect(removed).toContain(hostile);
    expect(mountsUnderRoot()).not.toContain(path.join(root, hostile));
    expect(fs.existsSync(imagePath(root, hostile))).toBe(false);
    expect(fs.existsSync(path.join(root, hostile))).toBe(false);
  });
});
