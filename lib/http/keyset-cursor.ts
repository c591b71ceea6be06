// The cursor of a listing ordered by (time, id), newest first: `<epoch milliseconds>.<uuid>` (13
// digits at most: up to the year 2286, a time Postgres and JavaScript both read). Every
// string the pattern admits decodes (the API document states the pattern), so a cursor is either
// refused by the query schema or names a position: never a failure further in.
import { z } from "zod";

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
export const KEYSET_CURSOR_PATTERN = `[0-9]{1,13}\\.${UUID}`;

export const keysetCursor = z
  .string()
  .regex(
    new RegExp(`^${KEYSET_CURSOR_PATTERN}$`),
    "not a cursor from this listing: pass back nextCursor as given",
  );

export interface KeysetPosition {
  at: Date;
  id: string;
}

export const encodeKeyset = (p: KeysetPosition): string => `${p.at.getTime()}.${p.id}`;

/** The position a cursor admitted by `keysetCursor` names. */
export function decodeKeyset(cursor: string): KeysetPosition {
  const dot = cursor.indexOf(".");
  return { at: new Date(Number(cursor.slice(0, dot))), id: cursor.slice(dot + 1) };
}
