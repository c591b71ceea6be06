// The gateway side of a tool call: the call row and its outbox row in one transaction (so a broker
// outage delays work but loses none), then a nudge to the relay. The outbox row is keyed by
// session: one session's calls stay in order on one partition.
import { randomUUID } from "node:crypto";
import { sqlPool, type Db } from "../server/db";
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
  // The call and its outbox row in one statement (one transaction, one round trip instead of four),
  // straight on the pool (lib/server/db.ts). Timestamps in UTC, as Prisma writes them.
  await sqlPool(db).query({
    name: "tool-call-enqueue",
    text: `
      WITH call AS (
        INSERT INTO tool_calls (id, session_id, turn_id, tool, arguments, status, created_at)
        VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5::jsonb, 'pending', now() AT TIME ZONE 'UTC')
        RETURNING id
      )
      INSERT INTO outbox (topic, key, payload, tool_call_id, trace_context, available_at, created_at)
      SELECT 'tools', $2, $6::jsonb, id, $7::jsonb, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
      FROM call`,
    values: [
      toolCallId,
      input.sessionId,
      input.turnId ?? null,
      input.tool,
      JSON.stringify(input.arguments),
      JSON.stringify(request),
      trace ? JSON.stringify(trace) : null,
    ],
  });
  return { toolCallId };
}
