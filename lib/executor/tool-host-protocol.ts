// Messages between the executor and its tool-host child process (IPC).
import type { ToolContext, ToolOutcome } from "../tools/types";

export interface HostRequest {
  id: number;
  tool: string;
  args: unknown;
  /** Everything a tool gets but the database client, which the host opens itself. */
  ctx: Omit<ToolContext, "db" | "signal">;
  /** executor.warmSandboxes as the executor reads it now (a saved setting applies to the next call). */
  warmSandboxes: number;
}

/** Stops a running request: its sandbox is killed and it answers "killed". */
export interface HostCancel {
  cancel: number;
}

export type HostReply = { id: number; outcome: ToolOutcome };
