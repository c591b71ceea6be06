// Reads a JSON request body with a size cap and parses it with a zod schema: 415 for another content
// type, 413 when too large, 400 for malformed JSON, text that cannot be stored (NUL) or a schema
// error naming the field.
import type { z } from "zod";
import { AppError, fromZod } from "../errors";
import type { IncomingMessage } from "node:http";
import { readBodyLimited, readRequestBody } from "./read-body";
import { findUnstorableText } from "./storable-text";

function checkJsonType(type: string | null | undefined): void {
  if (!/^application\/json\b/i.test(type ?? ""))
    throw new AppError("unsupported_media_type", "Send the body as JSON (Content-Type: application/json).");
}

export async function jsonBody<S extends z.ZodType>(
  request: Request,
  schema: S,
  limitBytes: number,
): Promise<z.infer<S>> {
  checkJsonType(request.headers.get("content-type"));
  return parseJson(await readBodyLimited(request, limitBytes), schema);
}

/** jsonBody for a request the gateway answers itself (server/). */
export async function jsonRequestBody<S extends z.ZodType>(
  req: IncomingMessage,
  schema: S,
  limitBytes: number,
): Promise<z.infer<S>> {
  checkJsonType(req.headers["content-type"]);
  return parseJson(await readRequestBody(req, limitBytes), schema);
}

function parseJson<S extends z.ZodType>(text: string, schema: S): z.infer<S> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new AppError("invalid_request", "The body is not valid JSON.");
  }
  const bad = findUnstorableText(data);
  if (bad)
    throw new AppError(
      "invalid_request",
      `Invalid request body: ${bad}: contains a NUL character or broken UTF-16.`,
      {
        details: [{ field: bad, message: "contains a NUL character or broken UTF-16" }],
      },
    );
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw fromZod(parsed.error);
  return parsed.data;
}

/** A body that may be left out: none at all (no Content-Type, or an empty one) reads as `{}`. */
export async function optionalJsonBody<S extends z.ZodType>(
  request: Request,
  schema: S,
  limitBytes: number,
): Promise<z.infer<S>> {
  if (request.headers.get("content-length") === "0" || !request.headers.get("content-type")) {
    const parsed = schema.safeParse({});
    if (!parsed.success) throw fromZod(parsed.error);
    return parsed.data;
  }
  return jsonBody(request, schema, limitBytes);
}
