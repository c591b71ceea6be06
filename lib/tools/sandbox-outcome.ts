// Maps how a sandboxed process ended to a tool outcome a person can read.
import type { SandboxResult } from "../sandbox/run";
import type { ToolOutcome } from "./types";

export function outcomeOf(
  r: SandboxResult,
  output: unknown,
  limits: { timeoutMs: number; outputBytes: number },
): ToolOutcome {
  switch (r.outcome) {
    case "timeout":
      return { status: "timeout", output, error: `stopped after the ${limits.timeoutMs} ms time limit` };
    case "output_limit":
      return {
        status: "failed",
        output,
        error: `output exceeded the ${limits.outputBytes}-byte limit; the process was stopped`,
      };
    case "cancelled":
      return { status: "killed", output, error: "cancelled: the turn was stopped" };
    case "killed":
      return {
        status: "killed",
        output,
        error: "killed: the process exceeded its memory, CPU or process limit",
      };
    case "exited":
      if (r.exitCode === 0) return { status: "succeeded", output };
      if (r.exitCode === null)
        return { status: "failed", output, error: r.stderr || "the sandbox could not start" };
      return { status: "failed", output, error: `exited with code ${r.exitCode}` };
  }
}
