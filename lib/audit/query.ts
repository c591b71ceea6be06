// Reading the audit log: a tenant's rows, newest first, filtered and cursor paged; the export walks
// every matching row in pages so a large log streams in constant memory.
import { z } from "zod";
import type { Db } from "../server/db";

export const auditQuery = z
  .object({
    action: z.string().max(100).optional(),
    outcome: z.enum(["success", "denied", "failure"]).optional(),
    actorId: z.uuid().optional(),
    resource: z.string().max(200).optional(),
    since: z.iso.datetime().optional(),
    until: z.iso.datetime().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z
      .string()
      .regex(/^[0-9]{1,18}$/, "not a cursor from this listing")
      .optional(),
    format: z.enum(["json", "ndjson"]).default("json"),
  })
  .strict();
export type AuditQuery = z.infer<typeof auditQuery>;

export const auditRowView = z.object({
  id: z.string(),
  createdAt: z.iso.datetime(),
  action: z.string(),
  outcome: z.enum(["success", "denied", "failure"]),
  actorId: z.uuid().nullable(),
  actorType: z.string(),
  resource: z.string().nullable(),
  requestId: z.string().nullable(),
  ip: z.string().nullable(),
  details: z.unknown().nullable(),
});
export type AuditRowView = z.infer<typeof auditRowView>;

export async function auditPage(
  db: Db,
  tenantId: string,
  q: Omit<AuditQuery, "format">,
): Promise<{ items: AuditRowView[]; nextCursor: string | null }> {
  const rows = await db.auditLog.findMany({
    where: {
      tenantId,
      ...(q.action ? { action: q.action } : {}),
      ...(q.outcome ? { outcome: q.outcome } : {}),
      ...(q.actorId ? { actorId: q.actorId } : {}),
      ...(q.resource ? { resource: q.resource } : {}),
      ...(q.since || q.until
        ? {
            createdAt: {
              ...(q.since ? { gte: new Date(q.since) } : {}),
              ...(q.until ? { lt: new Date(q.until) } : {}),
            },
          }
        : {}),
      ...(q.cursor ? { id: { lt: BigInt(q.cursor) } } : {}),
    },
    orderBy: { id: "desc" },
    take: q.limit + 1,
  });
  const page = rows.slice(0, q.limit);
  return {
    items: page.map((r) => ({
      id: r.id.toString(),
      createdAt: r.createdAt.toISOString(),
      action: r.action,
      outcome: r.outcome,
      actorId: r.actorId,
      actorType: r.actorType,
      resource: r.resource,
      requestId: r.requestId,
      ip: r.ip,
      details: r.details ?? null,
    })),
    nextCursor: rows.length > q.limit ? page.at(-1)!.id.toString() : null,
  };
}

/** Every matching row as NDJSON lines, fetched 500 at a time. */
export function auditExport(
  db: Db,
  tenantId: string,
  q: Omit<AuditQuery, "format">,
): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let cursor = q.cursor;
  let done = false;
  return new ReadableStream({
    async pull(controller) {
      if (done) return controller.close();
      const page = await auditPage(db, tenantId, { ...q, limit: 500, ...(cursor ? { cursor } : {}) });
      if (page.items.length)
        controller.enqueue(enc.encode(page.items.map((r) => JSON.stringify(r)).join("\n") + "\n"));
      cursor = page.nextCursor ?? undefined;
      done = !page.nextCursor;
      if (done) controller.close();
    },
  });
}
