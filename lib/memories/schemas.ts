// The memories API's shapes: request bodies, the list query, and a memory as the caller sees it.
import { z } from "zod";
import { requiredText, trimmedText } from "../api/text-field";
import { KEYSET_CURSOR_PATTERN } from "../http/keyset-cursor";

export const memoryScope = z.enum(["user", "tenant"]);
export type MemoryScope = z.infer<typeof memoryScope>;

const content = requiredText(20_000);
const area = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\w.-]+$/, "letters, digits, _ . and - only");

export const createMemoryBody = z
  .object({
    content,
    area: area.default("main"),
    scope: memoryScope.default("user"),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const updateMemoryBody = z
  .object({ content: content.optional(), area: area.optional(), scope: memoryScope.optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, "name at least one of content, area, scope")
  .meta({ minProperties: 1 });

export const listMemoriesQuery = z
  .object({
    query: trimmedText(1_000).default(""),
    cursor: z
      .string()
      .regex(new RegExp(`^(?:${KEYSET_CURSOR_PATTERN}|[0-9]{1,6})$`), "not a cursor from this listing")
      .optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    area: area.optional(),
    scope: memoryScope.optional(),
  })
  .strict();

export const memoryView = z.object({
  id: z.uuid(),
  content: z.string(),
  area: z.string(),
  scope: memoryScope,
  metadata: z.record(z.string(), z.unknown()).nullable(),
  /** Who saved it; null for memories saved by the system. */
  authorId: z.uuid().nullable(),
  /** The session and user message it was saved from; only shown to the person who saved it. */
  savedFrom: z.object({ sessionId: z.uuid(), messageId: z.uuid().nullable() }).nullable(),
  /** Whether the caller may edit and delete it (docs/memories.md: who may change what). */
  canEdit: z.boolean(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /** Search results only: the ranking score, 0 to 1. */
  score: z.number().optional(),
});
export type MemoryView = z.infer<typeof memoryView>;

export const memoryPage = z.object({
  items: z.array(memoryView),
  nextCursor: z.string().nullable(),
  /** How a search was ranked: "words" (full text), "hybrid" (words and meaning), or "list" (no query). */
  mode: z.enum(["list", "words", "hybrid"]),
});
export type MemoryPage = z.infer<typeof memoryPage>;
