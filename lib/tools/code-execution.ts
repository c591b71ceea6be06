// code_execution: Python 3, Node.js or bash in the sandbox, in the session's workspace, no network.
import { z } from "zod";
import { runSandboxed } from "../sandbox/run";
import { outcomeOf } from "./sandbox-outcome";
import { defineTool } from "./types";

const RUNTIMES = {
  python: { command: ["python3", "-u", "-"], limitAddressSpace: true },
  node: { command: ["node", "--max-old-space-size=192", "-"], limitAddressSpace: false },
  bash: { command: ["bash", "-s"], limitAddressSpace: true },
} as const;

export const codeExecutionTool = defineTool({
  name: "code_execution",
  description:
    "Run a Python 3, Node.js or bash program in an isolated sandbox (no network). Returns stdout, stderr and the exit code.",
  args: z
    .object({
      runtime: z.enum(["python", "node", "bash"]),
      code: z.string().min(1).max(200_000),
    })
    .strict(),
  needsNetwork: false,
  usesWorkspace: true,
  async run(args, ctx) {
    const rt = RUNTIMES[args.runtime];
    const r = await runSandboxed({
      command: [...rt.command],
      stdin: args.code,
      workspace: ctx.workspace,
      limits: ctx.limits,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      limitAddressSpace: rt.limitAddressSpace,
      // Each runtime reads its whole program from stdin: the session's next call can start warm.
      prewarm: true,
    });
    return outcomeOf(r, { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode }, ctx.limits);
  },
});
