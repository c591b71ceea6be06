// memory_save / memory_search / memory_forget: the tenant's long-term memory in Postgres.
// Search is full-text (Postgres 'simple' configuration) ranked by ts_rank, newest first on ties.
import { z } from "zod";
import { defineTool } from "./types";
import type { Prisma } from "../generated/prisma/client";

export const memorySaveTool = defineTool({
  name: "memory_save",
  description: "Remember a fact for later conversations of this tenant.",
  args: z
    .object({
      content: z.string().min(1).max(20_000),
      area: z.string().min(1).max(64).default("main"),
      metadata: z.record(z.string(), z.unknown()).optional(),
    })
    .strict(),
  needsNetwork: false,
  async run(args, ctx) {
    const row = await ctx.db.memory.create({
      data: {
        tenantId: ctx.tenantId,
        area: args.area,
        content: args.content,
        ...(args.metadata ? { metadata: args.metadata as Prisma.InputJsonObject } : {}),
      },
      select: { id: true, area: true, createdAt: true },
    });
    return {
      status: "succeeded",
      output: { id: row.id, area: row.area, savedAt: row.createdAt.toISOString() },
    };
  },
});

export const memorySearchTool = defineTool({
  name: "memory_search",
  description: "Search this tenant's memories by words.",
  args: z
    .object({
      query: z.string().min(1).max(1_000),
      area: z.string().min(1).max(64).optional(),
      limit: z.number().int().min(1).max(50).default(10),
    })
    .strict(),
  needsNetwork: false,
  async run(args, ctx) {
    const rows = await ctx.db.$queryRaw<
      { id: string; area: string; content: string; rank: number; created_at: Date }[]
    >`
      SELECT id, area, content, ts_rank(to_tsvector('simple', content), plainto_tsquery('simple', ${args.query}))::float AS rank, created_at
      FROM memories
      WHERE tenant_id = ${ctx.tenantId}::uuid
        AND (${args.area ?? null}::text IS NULL OR area = ${args.area ?? null}::text)
        AND to_tsvector('simple', content) @@ plainto_tsquery('simple', ${args.query})
      ORDER BY rank DESC, created_at DESC
      LIMIT ${args.limit}`;
    return {
      status: "succeeded",
      output: {
        matches: rows.map((r) => ({
          id: r.id,
          area: r.area,
          content: r.content,
          score: Number(r.rank.toFixed(4)),
        })),
      },
    };
  },
});

export const memoryForgetTool = defineTool({
  name: "memory_forget",
  description: "Forget memories of this tenant by id.",
  args: z.object({ ids: z.array(z.uuid()).min(1).max(100) }).strict(),
  needsNetwork: false,
  async run(args, ctx) {
    const { count } = await ctx.db.memory.deleteMany({
      where: { tenantId: ctx.tenantId, id: { in: args.ids } },
    });
    return { status: "succeeded", output: { forgotten: count } };
  },
});
