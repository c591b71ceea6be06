// The executor's start-up sandbox check: an executor whose sandbox cannot work here refuses to
// start and names the reason, instead of taking tool calls that would all fail. The broken setups
// are real ones: no right to switch users (the Docker image's `USER node`, emulated here by taking
// CAP_SETUID/CAP_SETGID away from a root process), and a workspace root the sandbox's user cannot reach.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { checkSandbox } from "@/lib/sandbox/self-check";
import { startProcess, stopProcess } from "../helpers/services";

const closed = fs.mkdtempSync(path.join(os.tmpdir(), "soma-closed-"));
fs.chmodSync(closed, 0o700); // others may not pass: a sandbox uid cannot reach what is below
afterAll(() => fs.rmSync(closed, { recursive: true, force: true }));

/** Starts the executor (under `wrapper`, if any) and waits for it to exit or become ready. */
async function startExecutorExpectingExit(wrapper: string[], env: Record<string, string> = {}) {
  const cmd = [...wrapper, "node", "--import", "tsx", "workers/tool-executor/index.ts"];
  const p = startProcess(cmd[0]!, cmd.slice(1), {
    SOMA_BUS_TRANSPORT: "bullmq",
    SOMA_EXECUTOR_HEALTH_PORT: "0",
    LOG_LEVEL: "info",
    ...env,
  });
  const code = await new Promise<number | null>((resolve) => {
    p.once("exit", (c) => resolve(c));
    const ready = setInterval(() => {
      if (p.output().includes('"tool executor ready"')) {
        clearInterval(ready);
        resolve(null);
      }
    }, 100);
    p.once("exit", () => clearInterval(ready));
  });
  await stopProcess(p);
  return { code, output: p.output() };
}

describe("sandbox self-check", () => {
  it("passes here, where the sandbox works", async () => {
    const r = await checkSandbox({
      uid: 60_000,
      workspaceRoot: path.join(os.tmpdir(), "soma-self-check"),
      tmpBytes: 1 << 20,
    });
    expect(r).toMatchObject({ ok: true });
  });

  it("names a workspace root the sandbox's user cannot reach", async () => {
    const r = await checkSandbox({ uid: 60_000, workspaceRoot: path.join(closed, "ws"), tmpBytes: 1 << 20 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/uid 60000\) cannot write its workspace .*searchable by others/);
  });

  it("keeps the executor from starting when it cannot switch to the sandbox's user, saying why", async () => {
    const { code, output } = await startExecutorExpectingExit(["setpriv", "--bounding-set=-setuid,-setgid"]);
    expect(code).toBe(78);
    expect(output).toContain("the tool sandbox does not work here, not starting");
    expect(output).toMatch(/cannot switch to the sandbox's user: it needs root/);
    expect(output).toContain("setresuid failed: Operation not permitted");
    expect(output).not.toContain('"tool executor ready"');
  });

  it("keeps the executor from starting with an unreachable executor.workspaceRoot", async () => {
    const { code, output } = await startExecutorExpectingExit([], {
      SOMA_EXECUTOR_WORKSPACE_ROOT: path.join(closed, "workspaces"),
    });
    expect(code).toBe(78);
    expect(output).toMatch(/cannot write its workspace under .*soma-closed-/);
  });

  it("starts with only the capabilities docker-compose.yml gives it, and no new privileges", async () => {
    // Docker's seccomp, AppArmor and /proc masks cannot be reproduced here; the capabilities can.
    const compose = YAML.parse(fs.readFileSync("docker-compose.yml", "utf8")) as {
      services: Record<string, { cap_add?: string[] }>;
    };
    const caps = compose.services["tool-executor"]?.cap_add ?? [];
    expect(caps.length).toBeGreaterThan(0);
    const bounding = ["-all", ...caps.map((c) => `+${c.toLowerCase()}`)].join(",");
    const { code, output } = await startExecutorExpectingExit([
      "setpriv",
      "--no-new-privs",
      `--bounding-set=${bounding}`,
      "--inh-caps=-all",
    ]);
    expect(code, output.slice(-2000)).toBeNull();
    expect(output).toContain('"sandbox self-check passed"');
  });
});
