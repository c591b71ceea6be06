// Reads a JSON request body with a size cap and parses it with a zod schema: 415 for another content
// type, 413 when too large, 400 for malformed JSON or a schema error naming the field.
import type { z } from "zod";
import { AppError, fromZod } from "../errors";
import { readBodyLimited } from "./read-body";

export async function jsonBody<S extends z.ZodType>(
  request: Request,
  schema: S,
  limitBytes: number,
): Promise<z.infer<S>> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw new AppError("unsupported_media_type", "Send the body as JSON (Content-Type: application/json).");
  }
  const text = await readBodyLimited(request, limitBytes);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new AppError("invalid_request", "The body is not valid JSON.");
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw fromZod(parsed.error);
  return parsed.data;
}
