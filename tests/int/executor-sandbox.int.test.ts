// Hostile tool calls end as clear failed/timeout/killed/denied results, and the same executor keeps
// serving a well-behaved call alongside each of them.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sandboxUid } from "@/lib/executor/process-request";
import { settings, waitUntil } from "../helpers/services";
import {
  gatewaySide,
  startExecutor,
  stopProcess,
  type ExecutorProcess,
  type GatewaySide,
} from "../helpers/executor";

const run = promisify(execFile);
let gw: GatewaySide;
let executor: ExecutorProcess;

beforeAll(async () => {
  gw = await gatewaySide("bullmq");
  executor = await startExecutor("bullmq", { SOMA_EXECUTOR_CONCURRENCY: "4" });
});
afterAll(async () => {
  if (executor) await stopProcess(executor);
  await gw?.close();
});

/** Runs the hostile call beside a harmless one in another session; both must finish. */
async function alongsideAHealthyCall(tool: string, args: Record<string, unknown>) {
  const [hostileSession, healthySession] = [await gw.newSession(), await gw.newSession()];
  const [hostile, healthy] = await Promise.all([
    gw.call(tool, args, { sessionId: hostileSession }),
    gw.call(
      "code_execution",
      { runtime: "python", code: "print('still serving')" },
      { sessionId: healthySession },
    ),
  ]);
  expect(healthy.status).toBe("succeeded");
  expect(healthy.result).toMatchObject({ stdout: "still serving\n" });
  return hostile;
}

describe("the sandbox", () => {
  it("stops an infinite loop at the time limit", async () => {
    const r = await alongsideAHealthyCall("code_execution", { runtime: "node", code: "for (;;) {}" });
    expect(r.status).toBe("timeout");
    expect(r.error).toMatch(/time limit/);
  });

  it("contains a fork bomb, and leaves no process behind", async () => {
    const sessionId = await gw.newSession();
    const [bomb, healthy] = await Promise.all([
      gw.call(
        "code_execution",
        { runtime: "bash", code: "bomb() { bomb | bomb & }; bomb; sleep 1; echo survived" },
        { sessionId },
      ),
      gw.call(
        "code_execution",
        { runtime: "python", code: "print('still serving')" },
        { sessionId: await gw.newSession() },
      ),
    ]);
    expect(healthy.status).toBe("succeeded");
    // The process limit makes the bomb's forks fail; the shell itself carries on and ends.
    expect(bomb.status).toBe("succeeded");
    expect((bomb.result as { stdout: string; stderr: string }).stderr).toMatch(
      /fork: (retry: )?Resource temporarily unavailable/,
    );
    const uid = await sandboxUid(gw.db, settings(), sessionId);
    const left = async () =>
      (
        await run("ps", ["-u", String(uid), "-o", "pid=,ppid=,stat=,comm="]).catch(() => ({ stdout: "" }))
      ).stdout
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((line) => {
          const [pid, ppid, stat, comm] = line.trim().split(/\s+/);
          return { pid: Number(pid), ppid: Number(ppid), stat: stat!, comm: comm! };
        });
    // What may stay is the session's next sandbox, started when the call ended and waiting on stdin
    // (executor.warmSandboxes, docs/sandbox.md): bwrap and the one `bash` (its namespace's PID 1)
    // reading its program. Nothing of the bomb: no other process, no zombie. The kernel tears the
    // call's PID namespace down as its init exits; give it a moment.
    const onlyTheWarmSandbox = (ps: Awaited<ReturnType<typeof left>>) => {
      const [outer, shell] = [...ps].sort((a, b) => a.pid - b.pid);
      return (
        ps.length === 0 ||
        (ps.length === 2 &&
          outer!.comm === "bwrap" &&
          outer!.ppid !== 1 &&
          shell!.comm === "bash" &&
          shell!.ppid === outer!.pid &&
          ps.every((p) => !p.stat.startsWith("Z")))
      );
    };
    await waitUntil(
      async () => onlyTheWarmSandbox(await left()),
      5_000,
      `no processes of uid ${uid} but its warm sandbox: ${JSON.stringify(await left())}`,
    );
  });

  it("runs each session as its own user, even sessions whose ids end alike", async () => {
    // Ids that collided under the old scheme (last six hex digits modulo 10,000: 1 and 10,001).
    const ids = ["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000002711"].map((tail) =>
      tail.replace(/^0{8}/, randomUUID().slice(0, 8)),
    );
    const first = await gw.db.session.findFirstOrThrow({
      where: { tenantId: gw.tenantId },
      select: { ownerId: true },
    });
    for (const id of ids)
      await gw.db.session.create({
        data: { id, tenantId: gw.tenantId, ownerId: first.ownerId, title: "uid test" },
      });
    const uids = await Promise.all(
      ids.map(async (sessionId) => {
        const r = await gw.call("code_execution", { runtime: "bash", code: "id -u" }, { sessionId });
        return Number((r.result as { stdout: string }).stdout.trim());
      }),
    );
    expect(uids[0]).not.toBe(uids[1]);
    expect(uids).toEqual(await Promise.all(ids.map((id) => sandboxUid(gw.db, settings(), id))));
  });

  it("runs a session's next call in a sandbox started for it alone, fresh, with its own time limit", async () => {
    const [mine, other] = [await gw.newSession(), await gw.newSession()];
    const py = (code: string, sessionId: string) =>
      gw.call("code_execution", { runtime: "python", code }, { sessionId });
    const who = "import os\nprint(os.getuid(), os.path.exists('/tmp/left'), os.path.exists('kept'))";
    const first = await py(`open('/tmp/left', 'w').write('x')\nopen('kept', 'w').write('x')\n${who}`, mine);
    const uid = await sandboxUid(gw.db, settings(), mine);
    expect(first.result).toMatchObject({ stdout: `${uid} True True\n` });
    // The next call of this session finds its sandbox started (as its uid, its workspace bound):
    // /tmp is new, the workspace kept. Its interpreter was running before the call was made.
    await new Promise((r) => setTimeout(r, 1_500));
    const age =
      "import os\nticks = int(open('/proc/self/stat').read().rsplit(')', 1)[1].split()[19])\n" +
      "print(round(float(open('/proc/uptime').read().split()[0]) - ticks / os.sysconf('SC_CLK_TCK'), 1))";
    const warm = await py(`${who}\n${age}`, mine);
    const [line, started] = (warm.result as { stdout: string }).stdout.trim().split("\n");
    expect(line).toBe(`${uid} False True`);
    expect(Number(started)).toBeGreaterThan(1);
    // Another session's call never runs in it.
    const otherUid = await sandboxUid(gw.db, settings(), other);
    expect((await py(who, other)).result).toMatchObject({ stdout: `${otherUid} False False\n` });
    // A sandbox that waited longer than the time limit (4 s here) still has the whole limit: the
    // clock starts with the call.
    await new Promise((r) => setTimeout(r, 4_500));
    const slow = await py("import time\ntime.sleep(1)\nprint('done')", mine);
    expect(slow.status).toBe("succeeded");
    expect(slow.result).toMatchObject({ stdout: "done\n" });
  }, 30_000);

  it("refuses a 4 GB allocation", async () => {
    const r = await alongsideAHealthyCall("code_execution", {
      runtime: "python",
      code: "x = bytearray(4 * 1024**3)\nprint(len(x))",
    });
    expect(["failed", "killed"]).toContain(r.status);
    expect(JSON.stringify(r.result)).not.toContain("4294967296");
  });

  it("stops a program filling /tmp at the tmpfs size", async () => {
    // Files of 15 MB each (under the per-file size limit), 150 MB in all.
    const r = await alongsideAHealthyCall("code_execution", {
      runtime: "bash",
      code: "for i in $(seq 10); do dd if=/dev/zero of=/tmp/f$i bs=1M count=15 2>&1 | grep -o 'No space left on device'; done | head -n 1; du -sm /tmp | cut -f1",
    });
    const out = (r.result as { stdout: string }).stdout;
    expect(out).toContain("No space left on device");
    expect(Number(out.trim().split("\n").at(-1))).toBeLessThanOrEqual(64); // executor.sandboxTmpMb
  });

  it("denies a file write that climbs out of the workspace", async () => {
    const r = await alongsideAHealthyCall("workspace_files", {
      action: "write",
      path: "../../etc/evil",
      content: "x",
    });
    expect(r.status).toBe("denied");
    expect(r.error).toMatch(/outside the workspace/);
  });

  it("denies reading through a symbolic link, and code cannot see host files", async () => {
    const sessionId = await gw.newSession();
    const made = await gw.call(
      "code_execution",
      { runtime: "bash", code: "ln -s /etc/passwd link; cat /etc/passwd || echo no-host-passwd" },
      { sessionId },
    );
    expect(made.result).toMatchObject({ stdout: "no-host-passwd\n" });
    const read = await gw.call("workspace_files", { action: "read", path: "link" }, { sessionId });
    expect(read.status).toBe("denied");
    expect(read.error).toMatch(/symbolic link/);
  });

  it("has no network: a connection to a host service fails", async () => {
    const r = await alongsideAHealthyCall("code_execution", {
      runtime: "python",
      code: "import socket\nsocket.create_connection(('127.0.0.1', 15432), timeout=2)\nprint('connected')",
    });
    expect(r.status).toBe("failed");
    expect(JSON.stringify(r.result)).toMatch(/Connection refused|Network is unreachable/);
    expect(JSON.stringify(r.result)).not.toContain("connected\\n");
  });

  it("denies http_request to a host that is not allowed", async () => {
    const r = await gw.call("http_request", { url: "http://127.0.0.1:15432/" });
    expect(r.status).toBe("denied");
    expect(r.error).toMatch(/not on the allowed list/);
  });
});
