// A tool: zod arguments (published as JSON schema), where it runs, and what it returns.
import type { z } from "zod";
import type { SandboxLimits } from "../sandbox/run";
import type { Db } from "../server/db";

import type { ToolStatus } from "../tool-status";

export type { ToolStatus } from "../tool-status";

export interface ToolOutcome {
  status: ToolStatus;
  output?: unknown;
  error?: string;
}

export interface ToolContext {
  toolCallId: string;
  sessionId: string;
  tenantId: string;
  /** The user the call acts for; absent for calls without one (e.g. enqueued by an older gateway). */
  userId?: string;
  /** That user's role in the tenant (memory_forget: admins may forget tenant-shared memories). */
  role?: "admin" | "member";
  /** Host path of the session's workspace; "" for tools that declare no use of one. */
  workspace: string;
  limits: SandboxLimits;
  httpAllowedHosts: string[];
  db: Db;
  /** Aborted when the call is cancelled (its turn was stopped). */
  signal?: AbortSignal;
}

export interface ToolDefinition<A extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  args: A;
  /** Declared network use; policy must also allow it. */
  needsNetwork: boolean;
  /** Runs in the session's workspace (created on first use). */
  usesWorkspace?: boolean;
  run(args: z.infer<A>, ctx: ToolContext): Promise<ToolOutcome>;
}

export function defineTool<A extends z.ZodType>(def: ToolDefinition<A>): ToolDefinition<A> {
  return def;
}
