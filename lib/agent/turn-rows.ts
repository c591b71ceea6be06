// A turn's first rows in one statement: the turn, the user's message, and the session touched (named
// after this message when it is still "New chat" and has no message yet). One round trip instead of
// Prisma's six (a count, then BEGIN, three writes, COMMIT): on a busy gateway the pool's connections
// are what turns queue for. One statement is one transaction, as the three writes were.
import { randomUUID } from "node:crypto";
import type { Db } from "../server/db";

export interface TurnRows {
  turnId: string;
  sessionId: string;
  userId: string;
  content: string;
  /** A spoken message: its call. */
  voiceCallId?: string;
  /** The title the session takes if this is its first message and it is still called `defaultTitle`. */
  title: string;
  defaultTitle: string;
}

/** Writes the rows; returns the message's id and whether the session took `title`. */
export async function insertTurnRows(
  db: Db,
  rows: TurnRows,
): Promise<{ messageId: string; renamed: boolean }> {
  const messageId = randomUUID();
  const source = rows.voiceCallId ? "voice" : "text";
  const voice = rows.voiceCallId ? JSON.stringify({ callId: rows.voiceCallId }) : null;
  // Timestamps in UTC, as Prisma writes them into these TIMESTAMP(3) columns. Every part of the
  // statement sees the same snapshot: `fresh` looks at the messages from before this one.
  const result = await db.$queryRaw<{ renamed: boolean }[]>`
    WITH fresh AS (
      SELECT s.title = ${rows.defaultTitle}
             AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.session_id = s.id) AS renamed
      FROM sessions s WHERE s.id = ${rows.sessionId}::uuid
    ), turn AS (
      INSERT INTO turns (id, session_id, user_id, started_at)
      VALUES (${rows.turnId}::uuid, ${rows.sessionId}::uuid, ${rows.userId}::uuid, now() AT TIME ZONE 'UTC')
    ), message AS (
      INSERT INTO messages (id, session_id, turn_id, role, content, source, voice, created_at)
      VALUES (${messageId}::uuid, ${rows.sessionId}::uuid, ${rows.turnId}::uuid, 'user', ${rows.content},
              ${source}::"MessageSource", ${voice}::jsonb, now() AT TIME ZONE 'UTC')
    ), touched AS (
      UPDATE sessions s
      SET updated_at = now() AT TIME ZONE 'UTC',
          title = CASE WHEN fresh.renamed THEN ${rows.title} ELSE s.title END
      FROM fresh WHERE s.id = ${rows.sessionId}::uuid
    )
    SELECT renamed FROM fresh`;
  const first = result[0];
  if (!first) throw new Error(`session ${rows.sessionId} does not exist`);
  return { messageId, renamed: first.renamed };
}
