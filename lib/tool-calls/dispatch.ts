// The gateway side of a tool call: the call row and its outbox row in one transaction (so a broker
// outage delays work but loses none), then a nudge to the relay.
import { randomUUID } from "node:crypto";
import type { Db } from "../server/db";
import type { Prisma } from "../generated/prisma/client";
import type { ToolRequest } from "../bus/messages";
import type { TraceCarrier } from "../tracing/propagation";

export interface ToolCallInput {
  sessionId: string;
  tenantId: string;
  actor?: ToolRequest["actor"];
  turnId?: string;
  tool: string;
  /** A chosen id (the agent names calls before enqueueing them); a new one otherwise. */
  toolCallId?: string;
  /** Stored as given: secret references stay references. */
  arguments: Record<string, unknown>;
}

/** `trace`: the trace the call belongs to; the relay's publish continues it from the outbox row. */
export async function enqueueToolCall(
  db: Db,
  input: ToolCallInput,
  trace?: TraceCarrier,
): Promise<{ toolCallId: string }> {
  const toolCallId = input.toolCallId ?? randomUUID();
  const request: ToolRequest = {
    version: 1,
    toolCallId,
    sessionId: input.sessionId,
    tenantId: input.tenantId,
    ...(input.actor ? { actor: input.actor } : {}),
    tool: input.tool,
    arguments: input.arguments,
    requestedAt: new Date().toISOString(),
  };
  await db.$transaction([
    db.toolCall.create({
      data: {
        id: toolCallId,
        sessionId: input.sessionId,
        turnId: input.turnId ?? null,
        tool: input.tool,
        arguments: input.arguments as Prisma.InputJsonObject,
        status: "pending",
      },
      select: { id: true },
    }),
    db.outbox.create({
      // Keyed by session: one session's calls stay in order on one partition.
      data: {
        topic: "tools",
        key: input.sessionId,
        payload: request as unknown as Prisma.InputJsonObject,
        toolCallId,
        ...(trace ? { traceContext: trace } : {}),
      },
      select: { id: true },
    }),
  ]);
  return { toolCallId };
}
