// memory_save / memory_search / memory_forget: long-term memory in Postgres. A memory is the user's
// own unless saved with scope "tenant" (shared with the whole tenant on purpose): what a member says
// in a private session is not found by another member, admins included. Calls without a user (a
// system call) work on tenant memories only.
// Search is full-text (Postgres 'simple' configuration) ranked by ts_rank, newest first on ties.
import { z } from "zod";
import { defineTool } from "./types";
import type { Prisma } from "../generated/prisma/client";

export const memorySaveTool = defineTool({
  name: "memory_save",
  description:
    'Remember a fact for later conversations: the user\'s own by default, or shared with the whole organisation with scope "tenant".',
  args: z
    .object({
      content: z.string().min(1).max(20_000),
      area: z.string().min(1).max(64).default("main"),
      scope: z.enum(["user", "tenant"]).default("user"),
      metadata: z.record(z.string(), z.unknown()).optional(),
    })
    .strict(),
  needsNetwork: false,
  async run(args, ctx) {
    const userId = args.scope === "user" ? ctx.userId : undefined;
    const row = await ctx.db.memory.create({
      data: {
        tenantId: ctx.tenantId,
        ...(userId ? { userId } : {}),
        area: args.area,
        content: args.content,
        ...(args.metadata ? { metadata: args.metadata as Prisma.InputJsonObject } : {}),
      },
      select: { id: true, area: true, userId: true, createdAt: true },
    });
    return {
      status: "succeeded",
      output: {
        id: row.id,
        area: row.area,
        scope: row.userId ? "user" : "tenant",
        savedAt: row.createdAt.toISOString(),
      },
    };
  },
});

export const memorySearchTool = defineTool({
  name: "memory_search",
  description: "Search the user's own memories and those shared with the organisation, by words.",
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
      { id: string; area: string; content: string; user_id: string | null; rank: number; created_at: Date }[]
    >`
      SELECT id, area, content, user_id, ts_rank(to_tsvector('simple', content), plainto_tsquery('simple', ${args.query}))::float AS rank, created_at
      FROM memories
      WHERE tenant_id = ${ctx.tenantId}::uuid
        AND (user_id IS NULL OR user_id = ${ctx.userId ?? null}::uuid)
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
          scope: r.user_id ? "user" : "tenant",
          score: Number(r.rank.toFixed(4)),
        })),
      },
    };
  },
});

export const memoryForgetTool = defineTool({
  name: "memory_forget",
  description: "Forget memories by id (the user's own, or ones shared with the organisation).",
  args: z.object({ ids: z.array(z.uuid()).min(1).max(100) }).strict(),
  needsNetwork: false,
  async run(args, ctx) {
    const { count } = await ctx.db.memory.deleteMany({
      where: {
        tenantId: ctx.tenantId,
        id: { in: args.ids },
        OR: [{ userId: null }, ...(ctx.userId ? [{ userId: ctx.userId }] : [])],
      },
    });
    return { status: "succeeded", output: { forgotten: count } };
  },
});
