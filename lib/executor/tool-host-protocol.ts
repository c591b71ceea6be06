// Messages between the executor and its tool-host child process (IPC).
import type { ToolContext, ToolOutcome } from "../tools/types";

export interface HostRequest {
  id: number;
  tool: string;
  args: unknown;
  /** Everything a tool gets but the database client, which the host opens itself. */
  ctx: Omit<ToolContext, "db">;
}

export type HostReply = { id: number; outcome: ToolOutcome };
