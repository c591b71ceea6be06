// A turn's rows in one statement at its start, one per assistant message it completes and one at its
// end, straight on the pool
// (lib/server/db.ts: a Prisma query costs several times the CPU of the same statement on the pool),
// and shared by the turns starting (or ending) at the same moment (lib/db/statement-batcher.ts): on a
// busy gateway Postgres's time per statement is what turns queue for. Each statement is one round
// trip and one transaction.
//  - start: the turn, the user's message, and the session touched (named after this message when it
//    is still "New chat" and has no message yet), only if the session is still the tenant's and not
//    deleted. The session's row is checked here, in the same statement that writes, so a session
//    deleted since its access was checked (or answered from a cache) gets no turn.
//  - an assistant message completed: its final text and tool calls (inserted, or over the text the
//    message flusher saved while it streamed).
//  - end: the turn's status and usage, its messages marked complete, and its usage row.
import { randomUUID } from "node:crypto";
import { AppError } from "../errors";
import { sqlPool, type Db } from "../server/db";
import type { Usage } from "../realtime/events";
import { StatementBatcher } from "../db/statement-batcher";
import { singleton } from "../singleton";

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
 * Writes the rows; returns the message's id, whether the session took `title` and whether this is
 * the session's first message (nothing before it: its history is empty). A session that is gone,
 * deleted or another tenant's is a 404, as its access check would have said. Turns starting at the
 * same moment share a statement (lib/db/statement-batcher.ts).
 */
export async function insertTurnRows(
  db: Db,
  rows: TurnRows,
): Promise<{ messageId: string; renamed: boolean; first: boolean }> {
  const row: StartRow = {
    ...rows,
    messageId: randomUUID(),
    source: rows.voiceCallId ? "voice" : "text",
    voice: rows.voiceCallId ? JSON.stringify({ callId: rows.voiceCallId }) : null,
  };
  const written = await batchers(db).start.write(row);
  if (!written) throw new AppError("not_found", "No such session.");
  return { messageId: row.messageId, renamed: written.renamed, first: written.first };
}

interface StartRow extends TurnRows {
  messageId: string;
  source: "voice" | "text";
  voice: string | null;
}

// Timestamps in UTC, as Prisma writes them into these TIMESTAMP(3) columns. Every part of the
// statement sees the same snapshot: `fresh` looks at the messages from before these. Nothing is
// written for a row whose session is not in `fresh` (the inserts select from it). One session
// appears at most once (its lease: one turn at a time).
const START_ROWS = `
  WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[],
                         $7::text[], $8::uuid[], $9::text[], $10::text[])
      AS i(turn_id, session_id, tenant_id, user_id, content, source, voice, message_id, title,
           default_title)
  ), fresh AS (
    SELECT i.*, e.first, e.first AND s.title = i.default_title AS renamed
    FROM input i
    JOIN sessions s ON s.id = i.session_id AND s.tenant_id = i.tenant_id AND s.deleted_at IS NULL
    CROSS JOIN LATERAL (SELECT NOT EXISTS (SELECT 1 FROM messages m WHERE m.session_id = s.id) AS first) e
  ), turn AS (
    INSERT INTO turns (id, session_id, user_id, started_at)
    SELECT turn_id, session_id, user_id, now() AT TIME ZONE 'UTC' FROM fresh
  ), message AS (
    INSERT INTO messages (id, session_id, turn_id, role, content, source, voice, created_at)
    SELECT message_id, session_id, turn_id, 'user', content, source::"MessageSource", voice::jsonb,
           now() AT TIME ZONE 'UTC'
    FROM fresh
  ), touched AS (
    UPDATE sessions s
    SET updated_at = now() AT TIME ZONE 'UTC',
        title = CASE WHEN fresh.renamed THEN fresh.title ELSE s.title END
    FROM fresh WHERE s.id = fresh.session_id
  )
  SELECT turn_id, renamed, first FROM fresh`;

/** What the start wrote: whether the session took the title, whether it had no message before. */
interface Started {
  renamed: boolean;
  first: boolean;
}

async function startRows(db: Db, rows: StartRow[]): Promise<(Started | null)[]> {
  const { rows: written } = await sqlPool(db).query<{ turn_id: string; renamed: boolean; first: boolean }>({
    name: "turn-start-rows",
    text: START_ROWS,
    values: [
      rows.map((r) => r.turnId),
      rows.map((r) => r.sessionId),
      rows.map((r) => r.tenantId),
      rows.map((r) => r.userId),
      rows.map((r) => r.content),
      rows.map((r) => r.source),
      rows.map((r) => r.voice),
      rows.map((r) => r.messageId),
      rows.map((r) => r.title),
      rows.map((r) => r.defaultTitle),
    ],
  });
  const byTurn = new Map(written.map((w) => [w.turn_id, { renamed: w.renamed, first: w.first }]));
  return rows.map((r) => byTurn.get(r.turnId) ?? null);
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
 * Ends the turn in one statement (one round trip, no transaction held open across several; turns
 * ending at the same moment share it): its row, its messages still streaming marked complete, its
 * usage row. Throws when the turn's row is gone (nothing is written for it then).
 */
export async function finishTurnRows(db: Db, end: TurnEnd): Promise<void> {
  if (!(await batchers(db).end.write(end))) throw new Error(`turn ${end.turnId} has no row to end`);
}

const END_ROWS = `
  WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[],
                         $7::int[], $8::uuid[], $9::uuid[], $10::uuid[], $11::numeric[])
      AS i(turn_id, status, error, model, steps, prompt_tokens, completion_tokens, tenant_id, user_id,
           session_id, cost_usd)
  ), turn AS (
    UPDATE turns t
    SET status = i.status::"TurnStatus", error = i.error, model = i.model, steps = i.steps,
        prompt_tokens = i.prompt_tokens, completion_tokens = i.completion_tokens,
        finished_at = now() AT TIME ZONE 'UTC'
    FROM input i WHERE t.id = i.turn_id
    RETURNING i.*
  ), streaming AS (
    -- Locked in id order, as the message flusher writes them: no deadlock between the two.
    SELECT id FROM messages
    WHERE turn_id IN (SELECT turn_id FROM turn) AND complete = false
    ORDER BY id FOR UPDATE
  ), completed AS (
    UPDATE messages SET complete = true WHERE id IN (SELECT id FROM streaming)
  ), recorded AS (
    INSERT INTO usage_records
      (tenant_id, user_id, session_id, turn_id, model, prompt_tokens, completion_tokens, cost_usd,
       created_at)
    SELECT tenant_id, user_id, session_id, turn_id, model, prompt_tokens, completion_tokens, cost_usd,
           now() AT TIME ZONE 'UTC'
    FROM turn
  )
  SELECT turn_id FROM turn`;

async function endRows(db: Db, ends: TurnEnd[]): Promise<boolean[]> {
  const { rows } = await sqlPool(db).query<{ turn_id: string }>({
    name: "turn-end-rows",
    text: END_ROWS,
    values: [
      ends.map((e) => e.turnId),
      ends.map((e) => e.status),
      ends.map((e) => e.error),
      ends.map((e) => e.model),
      ends.map((e) => e.steps),
      ends.map((e) => e.usage.promptTokens),
      ends.map((e) => e.usage.completionTokens),
      ends.map((e) => e.tenantId),
      ends.map((e) => e.userId),
      ends.map((e) => e.sessionId),
      ends.map((e) => String(e.costUsd)),
    ],
  });
  const ended = new Set(rows.map((r) => r.turn_id));
  return ends.map((e) => ended.has(e.turnId));
}

/** An assistant message's final text and tool calls (JSON), as `completeAssistantMessage` writes them. */
export interface CompletedMessage {
  id: string;
  sessionId: string;
  turnId: string;
  content: string;
  toolCalls: string | null;
}

/**
 * Writes an assistant message complete: inserted, or completed over the text the flusher saved while
 * it streamed (its tool calls kept when none are given). Messages completed at the same moment share
 * a statement.
 */
export async function completeAssistantMessage(db: Db, message: CompletedMessage): Promise<void> {
  await batchers(db).completed.write(message);
}

// In id order, as the flusher and the turn's end lock messages: no deadlock between them. One message
// appears at most once (each is completed once).
const COMPLETED_ROWS = `
  INSERT INTO messages (id, session_id, turn_id, role, content, complete, tool_calls, created_at)
  SELECT id, session_id, turn_id, 'assistant', content, true, tool_calls::jsonb, now() AT TIME ZONE 'UTC'
  FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[])
    AS i(id, session_id, turn_id, content, tool_calls)
  ORDER BY id
  ON CONFLICT (id) DO UPDATE
  SET content = EXCLUDED.content, complete = true,
      tool_calls = COALESCE(EXCLUDED.tool_calls, messages.tool_calls)`;

async function completedRows(db: Db, messages: CompletedMessage[]): Promise<void[]> {
  await sqlPool(db).query({
    name: "turn-assistant-complete",
    text: COMPLETED_ROWS,
    values: [
      messages.map((m) => m.id),
      messages.map((m) => m.sessionId),
      messages.map((m) => m.turnId),
      messages.map((m) => m.content),
      messages.map((m) => m.toolCalls),
    ],
  });
  return messages.map(() => undefined);
}

function makeBatchers(db: Db) {
  return {
    completed: new StatementBatcher<CompletedMessage, void>({
      many: (messages) => completedRows(db, messages),
      one: async (message) => void (await completedRows(db, [message])),
    }),
    start: new StatementBatcher<StartRow, Started | null>({
      many: (rows) => startRows(db, rows),
      one: async (row) => (await startRows(db, [row]))[0]!,
    }),
    end: new StatementBatcher<TurnEnd, boolean>({
      many: (ends) => endRows(db, ends),
      one: async (end) => (await endRows(db, [end]))[0]!,
    }),
  };
}

/** One batcher per kind of row and client, in the process (Next's bundles and the server share them). */
function batchers(db: Db): ReturnType<typeof makeBatchers> {
  const byDb = singleton("turn-row-batchers", () => new WeakMap<Db, ReturnType<typeof makeBatchers>>());
  let b = byDb.get(db);
  if (!b) byDb.set(db, (b = makeBatchers(db)));
  return b;
}
