// The executor's start-up check that its sandbox works here: one trivial call through the real
// sandbox (setpriv to an unprivileged uid, bwrap's namespaces, a workspace bound read-write), the
// same path every code tool takes. An executor whose sandbox cannot work refuses to start with the
// reason, instead of taking tool calls that would all fail (docs/sandbox.md, "Where it runs").
import fs from "node:fs";
import path from "node:path";
import { runSandboxed, type SandboxLimits } from "./run";

export type SandboxCheck = { ok: true; ms: number } | { ok: false; reason: string };

export interface SandboxCheckOptions {
  /** The uid to run as: executor.sandboxUidBase (slot 0, never a session's). */
  uid: number;
  /** Where session workspaces are made (executor.workspaceRoot resolved). */
  workspaceRoot: string;
  tmpBytes: number;
}

/** What an operator can do about bwrap's or setpriv's own error message. */
function hint(stderr: string): string {
  const uid = process.getuid?.();
  if (/setres[ug]id|setgroups|reuid|regid/i.test(stderr))
    return (
      `the executor runs as uid ${uid ?? "?"} and cannot switch to the sandbox's user: it needs root ` +
      "(with CAP_SETUID and CAP_SETGID), e.g. `user: root` for the tool-executor service"
    );
  if (/namespace|unshare|clone|permission denied|operation not permitted/i.test(stderr))
    return (
      "bubblewrap cannot create its namespaces: unprivileged user namespaces are disabled " +
      "(sysctl kernel.unprivileged_userns_clone / user.max_user_namespaces) or a container's " +
      "seccomp/AppArmor profile blocks them (see the tool-executor service in docker-compose.yml)"
    );
  if (/not found|no such file/i.test(stderr))
    return "a sandbox program is missing: install bubblewrap and util-linux (setpriv, prlimit)";
  return "see the sandbox's error above";
}

export async function checkSandbox(opts: SandboxCheckOptions): Promise<SandboxCheck> {
  const started = performance.now();
  let workspace: string;
  try {
    fs.mkdirSync(opts.workspaceRoot, { recursive: true, mode: 0o711 });
    workspace = fs.mkdtempSync(path.join(opts.workspaceRoot, ".self-check-"));
    if (process.getuid?.() === 0) fs.chownSync(workspace, opts.uid, opts.uid);
  } catch (err) {
    return {
      ok: false,
      reason: `cannot make a workspace under ${opts.workspaceRoot} (executor.workspaceRoot): ${(err as Error).message}`,
    };
  }
  const limits: SandboxLimits = {
    timeoutMs: 10_000,
    memoryBytes: 64 * 1024 * 1024,
    cpuSeconds: 5,
    maxProcesses: 8,
    outputBytes: 4096,
    tmpBytes: opts.tmpBytes,
    uid: opts.uid,
  };
  const result = await runCheck(workspace, limits, opts);
  // The executor must be able to remove what a sandbox wrote (the workspace sweeper does it too).
  try {
    fs.rmSync(workspace, { recursive: true, force: true });
  } catch (err) {
    if (result.ok)
      return {
        ok: false,
        reason:
          `cannot remove the sandbox's files under ${opts.workspaceRoot}: ${(err as Error).message} ` +
          "(the executor needs root with CAP_DAC_OVERRIDE and CAP_FOWNER)",
      };
  }
  return result.ok ? { ok: true, ms: Math.round(performance.now() - started) } : result;
}

async function runCheck(
  workspace: string,
  limits: SandboxLimits,
  opts: SandboxCheckOptions,
): Promise<SandboxCheck> {
  const r = await runSandboxed({
    command: ["/bin/sh", "-c", "id -u && echo ok > /workspace/check && cat /workspace/check"],
    workspace,
    limits,
    limitAddressSpace: true,
  });
  if (r.outcome === "exited" && r.exitCode === 0 && r.stdout === `${opts.uid}\nok\n`)
    return { ok: true, ms: r.durationMs };
  const said = (r.stderr || r.stdout).trim().slice(0, 500) || "(no output)";
  // bwrap cannot reach the workspace to bind it, or the sandbox's user cannot write it.
  if (said.includes(workspace) || said.includes("/workspace/check"))
    return {
      ok: false,
      reason:
        `the sandbox's user (uid ${opts.uid}) cannot write its workspace under ${opts.workspaceRoot}: ` +
        `every directory above it must be searchable by others (executor.workspaceRoot). Sandbox said: ${said}`,
    };
  return {
    ok: false,
    reason:
      `a trivial sandboxed command failed (${r.outcome}, exit ${r.exitCode ?? r.signal ?? "none"}): ` +
      `${hint(said)}. Sandbox said: ${said}`,
  };
}
