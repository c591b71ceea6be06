// Ends everything a user has open or cached, on every gateway process, when an admin disables them
// or changes their role: their web sessions (which carry the role they signed in with), the cached
// lookups of their API tokens (the next request reads the user again), and — through the `user`
// revocation — their open sockets and SSE streams, which are told why first.
import type { Redis } from "ioredis";
import type { Db } from "../server/db";
import { tokenCacheKey } from "./principal";
import { publishRevocation } from "./revocation";
import { endWebSessionsOf } from "./web-session";

export async function endUserAccess(
  db: Db,
  redis: Redis,
  { userId, reason }: { userId: string; reason: string },
): Promise<{ webSessions: number }> {
  const webSessions = await endWebSessionsOf(redis, userId);
  const tokens = await db.apiToken.findMany({
    where: { userId, revokedAt: null },
    select: { tokenHash: true },
  });
  if (tokens.length) await redis.del(...tokens.map((t) => tokenCacheKey(t.tokenHash)));
  await publishRevocation(redis, { kind: "user", userId, reason });
  return { webSessions };
}
