// Messages between the executor and its tool-host child process (IPC).
import type { SandboxLimits } from "../sandbox/run";
import type { ToolOutcome } from "../tools/types";

export interface HostRequest {
  id: number;
  tool: string;
  args: unknown;
  ctx: {
    toolCallId: string;
    sessionId: string;
    tenantId: string;
    workspace: string;
    limits: SandboxLimits;
    httpAllowedHosts: string[];
  };
}

export type HostReply = { id: number; outcome: ToolOutcome };
