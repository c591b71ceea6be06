// memory_save / memory_search / memory_forget: long-term memory, through the same service as
// /api/v1/memories (lib/memories/service.ts says who sees and changes what). A memory is the user's
// own unless saved with scope "tenant" (shared with the whole tenant on purpose): what a member says
// in a private session is not found by another member, admins included. A call without a user (a
// system call) cannot save a private memory, searches tenant memories only and forgets none.
// Search ranks by words, and by meaning too when an embedding model is configured.
import { z } from "zod";
import { AppError } from "../errors";
import type { Db } from "../server/db";
import { forgetMemories, rankedSearch, saveMemory, type MemoryActor } from "../memories/service";
import { defineTool, type ToolContext } from "./types";

const actorOf = (ctx: ToolContext): MemoryActor => ({
  tenantId: ctx.tenantId,
  userId: ctx.userId,
  role: ctx.role,
});

/** The session and the user message of the turn that asked for the call: where a memory came from. */
async function savedFrom(db: Db, ctx: ToolContext) {
  const call = await db.toolCall.findUnique({ where: { id: ctx.toolCallId }, select: { turnId: true } });
  const message = call?.turnId
    ? await db.message.findFirst({
        where: { turnId: call.turnId, role: "user" },
        orderBy: { position: "asc" },
        select: { id: true },
      })
    : null;
  return { sessionId: ctx.sessionId, messageId: message?.id ?? null };
}

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
    try {
      const saved = await saveMemory(ctx.db, actorOf(ctx), {
        ...args,
        savedFrom: await savedFrom(ctx.db, ctx),
      });
      return {
        status: "succeeded",
        output: { id: saved.id, area: saved.area, scope: saved.scope, savedAt: saved.createdAt },
      };
    } catch (err) {
      if (err instanceof AppError && err.code === "invalid_request")
        return { status: "failed", error: err.message };
      throw err;
    }
  },
});

export const memorySearchTool = defineTool({
  name: "memory_search",
  description:
    "Search the user's own memories and those shared with the organisation, by words and by meaning.",
  args: z
    .object({
      query: z.string().min(1).max(1_000),
      area: z.string().min(1).max(64).optional(),
      limit: z.number().int().min(1).max(50).default(10),
    })
    .strict(),
  needsNetwork: false,
  async run(args, ctx) {
    const found = await rankedSearch(ctx.db, actorOf(ctx), {
      query: args.query,
      area: args.area,
      limit: args.limit,
    });
    return {
      status: "succeeded",
      output: {
        matches: found.items.map((m) => ({
          id: m.id,
          area: m.area,
          content: m.content,
          scope: m.scope,
          score: m.score ?? 0,
        })),
      },
    };
  },
});

export const memoryForgetTool = defineTool({
  name: "memory_forget",
  description:
    "Forget memories by id: the user's own, or ones shared with the organisation that the user saved (admins: any shared one).",
  args: z.object({ ids: z.array(z.uuid()).min(1).max(100) }).strict(),
  needsNetwork: false,
  async run(args, ctx) {
    const { forgotten, notAllowed } = await forgetMemories(ctx.db, actorOf(ctx), args.ids);
    return { status: "succeeded", output: { forgotten, ...(notAllowed ? { notAllowed } : {}) } };
  },
});
