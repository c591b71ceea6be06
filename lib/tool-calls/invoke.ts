// Headless tool invocation: enqueue through the outbox, wait for the result (woken, not polling).
import type { Principal } from "../auth/principal";
import { createSession, sessionFor } from "../sessions/service";
import { db } from "../server/db";
import type { ToolStatus } from "../tool-status";
import { callTool } from "./call";

const HEADLESS_TITLE = "Headless tool calls";

/** The named session (the caller must be able to write to it), or the caller's headless session. */
async function targetSession(principal: Principal, sessionId?: string): Promise<string> {
  if (sessionId) return (await sessionFor(principal, sessionId, "write")).id;
  const existing = await db().session.findFirst({
    where: {
      tenantId: principal.tenantId,
      ownerId: principal.userId,
      title: HEADLESS_TITLE,
      deletedAt: null,
    },
    select: { id: true },
  });
  if (existing) return existing.id;
  return (await createSession(principal, HEADLESS_TITLE)).id;
}

export interface InvokeResult {
  toolCallId: string;
  status: ToolStatus;
  result?: unknown;
  error?: string;
  durationMs: number;
}

export async function invokeTool(opts: {
  principal: Principal;
  tool: string;
  args: Record<string, unknown>;
  sessionId?: string;
}): Promise<InvokeResult> {
  const sessionId = await targetSession(opts.principal, opts.sessionId);
  const { toolCallId, done, durationMs, waitMs } = await callTool(db(), {
    sessionId,
    tenantId: opts.principal.tenantId,
    actor: { userId: opts.principal.userId, role: opts.principal.role },
    tool: opts.tool,
    arguments: opts.args,
  });
  if (!done)
    return {
      toolCallId,
      status: "timeout",
      error: `no result within ${waitMs} ms; the call stays queued and may still run`,
      durationMs,
    };
  return {
    toolCallId,
    status: done.status as ToolStatus,
    ...(done.result === null ? {} : { result: done.result }),
    ...(done.error === null ? {} : { error: done.error }),
    durationMs,
  };
}
