// Stopping tool calls with their turn: calls not yet claimed are marked killed in Postgres (the
// executor skips finished calls), and running ones are announced on Redis so the executor running
// them kills their sandbox.
import type { Redis } from "ioredis";
import type { Db } from "../server/db";
import { notifyToolDone } from "./result-notify";

export const TOOL_CANCEL_CHANNEL = "toolcall:cancel";

export async function cancelToolCalls(db: Db, redis: Redis, ids: string[], why: string): Promise<void> {
  if (ids.length === 0) return;
  await db.toolCall.updateMany({
    where: { id: { in: ids }, status: { in: ["pending", "queued"] } },
    data: { status: "killed", error: `cancelled: ${why}`, completedAt: new Date() },
  });
  await redis.publish(TOOL_CANCEL_CHANNEL, JSON.stringify({ ids, why })).catch(() => undefined);
  await Promise.all(ids.map((id) => notifyToolDone(redis, id).catch(() => undefined)));
}
