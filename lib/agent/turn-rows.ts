// A turn's rows in one statement each, straight on the pool (lib/server/db.ts: a Prisma query costs
// several times the CPU of the same statement on the pool): on a busy gateway the pool's connections
// are what turns queue for, and each statement is one round trip and its own transaction.
//  - start: the turn, the user's message, and the session touched (named after this message when it
//    is still "New chat" and has no message yet), only if the session is still the tenant's and not
//    deleted. The session's row is checked here, in the same statement that writes, so a session
//    deleted since its access was checked (or answered from a cache) gets no turn.
//  - end: the turn's status and usage, its messages marked complete, and its usage row.
import { randomUUID } from "node:crypto";
import { AppError } from "../errors";
import { sqlPool, type Db } from "../server/db";
import type { Usage } from "../realtime/events";

export interface TurnRows {
  turnId: string;
  sessionId: string;
  /** The session must belong to this tenant (and not be deleted) for anything to be written. */
  tenantId: string;
  userId: string;
  content: string;
  /** A spoken message: its call. */
  voiceCallId?: string;
  /** The title the session takes if this is its first message and it is still called `defaultTitle`. */
  title: string;
  defaultTitle: string;
}

/**
 * Writes the rows; returns the message's id and whether the session took `title`. A session that is
 * gone, deleted or another tenant's is a 404, as its access check would have said.
 */
export async function insertTurnRows(
  db: Db,
  rows: TurnRows,
): Promise<{ messageId: string; renamed: boolean }> {
  const messageId = randomUUID();
  const source = rows.voiceCallId ? "voice" : "text";
  const voice = rows.voiceCallId ? JSON.stringify({ callId: rows.voiceCallId }) : null;
  // Timestamps in UTC, as Prisma writes them into these TIMESTAMP(3) columns. Every part of the
  // statement sees the same snapshot: `fresh` looks at the messages from before this one. Nothing is
  // written when `fresh` has no row (the inserts select from it).
  const { rows: result } = await sqlPool(db).query<{ renamed: boolean }>({
    name: "turn-start-rows",
    text: `
      WITH fresh AS (
        SELECT s.id,
               s.title = $7 AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.session_id = s.id) AS renamed
        FROM sessions s
        WHERE s.id = $2::uuid AND s.tenant_id = $8::uuid AND s.deleted_at IS NULL
      ), turn AS (
        INSERT INTO turns (id, session_id, user_id, started_at)
        SELECT $1::uuid, fresh.id, $3::uuid, now() AT TIME ZONE 'UTC' FROM fresh
      ), message AS (
        INSERT INTO messages (id, session_id, turn_id, role, content, source, voice, created_at)
        SELECT $9::uuid, fresh.id, $1::uuid, 'user', $4, $5::"MessageSource", $6::jsonb,
               now() AT TIME ZONE 'UTC'
        FROM fresh
      ), touched AS (
        UPDATE sessions s
        SET updated_at = now() AT TIME ZONE 'UTC',
            title = CASE WHEN fresh.renamed THEN $10 ELSE s.title END
        FROM fresh WHERE s.id = fresh.id
      )
      SELECT renamed FROM fresh`,
    values: [
      rows.turnId,
      rows.sessionId,
      rows.userId,
      rows.content,
      source,
      voice,
      rows.defaultTitle,
      rows.tenantId,
      messageId,
      rows.title,
    ],
  });
  const first = result[0];
  if (!first) throw new AppError("not_found", "No such session.");
  return { messageId, renamed: first.renamed };
}

/** How a turn ended, as `finishTurnRows` records it. */
export interface TurnEnd {
  turnId: string;
  sessionId: string;
  tenantId: string;
  userId: string | null;
  status: "completed" | "failed" | "cancelled" | "interrupted";
  error: string | null;
  model: string;
  steps: number;
  usage: Usage;
  costUsd: number;
}

/**
 * Ends the turn in one statement (one round trip, no transaction held open across several): its
 * row, its messages still streaming marked complete, its usage row. Throws when the turn's row is
 * gone (nothing is written then).
 */
export async function finishTurnRows(db: Db, end: TurnEnd): Promise<void> {
  const { rows } = await sqlPool(db).query<{ id: string }>({
    name: "turn-end-rows",
    text: `
      WITH turn AS (
        UPDATE turns
        SET status = $2::"TurnStatus", error = $3, model = $4, steps = $5, prompt_tokens = $6,
            completion_tokens = $7, finished_at = now() AT TIME ZONE 'UTC'
        WHERE id = $1::uuid
        RETURNING id
      ), completed AS (
        UPDATE messages SET complete = true
        WHERE turn_id IN (SELECT id FROM turn) AND complete = false
      ), recorded AS (
        INSERT INTO usage_records
          (tenant_id, user_id, session_id, turn_id, model, prompt_tokens, completion_tokens, cost_usd,
           created_at)
        SELECT $8::uuid, $9::uuid, $10::uuid, id, $4, $6, $7, $11::numeric, now() AT TIME ZONE 'UTC'
        FROM turn
      )
      SELECT id FROM turn`,
    values: [
      end.turnId,
      end.status,
      end.error,
      end.model,
      end.steps,
      end.usage.promptTokens,
      end.usage.completionTokens,
      end.tenantId,
      end.userId,
      end.sessionId,
      String(end.costUsd),
    ],
  });
  if (rows.length === 0) throw new Error(`turn ${end.turnId} has no row to end`);
}
