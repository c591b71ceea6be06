// Text fields of request bodies, trimmed before use and limited as sent: the limit applies to the
// text the client sent (what the OpenAPI document's maxLength says) and a required field needs a
// character that is not white space (documented as a pattern). So a body the document calls valid
// is accepted and one it calls invalid refused, white space around it or not.
import { z } from "zod";

/** Text of at most `max` characters as sent, trimmed; may be empty. */
export const trimmedText = (max: number) => z.string().max(max).trim();

/** Text of at most `max` characters as sent, not blank, trimmed. */
export const requiredText = (max: number, blank = "must not be blank") =>
  z.string().max(max).regex(/\S/, blank).trim();
