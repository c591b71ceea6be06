// Revocation that reaches what is already open. Revoking a token, signing out, disabling a user or
// unsharing a session is published on Redis; every gateway process ends the affected socket.io
// connections and SSE streams (saying why first) within a moment, not at their next request.
// One subscription per process; the custom server and Next's route handlers share the registry
// through a globalThis singleton.
import type { Redis } from "ioredis";
import { z } from "zod";
import { singleton } from "../singleton";
import { createRedis } from "../server/redis";
import { logger } from "../server/logger";
import type { Principal } from "./principal";

export const REVOCATION_CHANNEL = "auth:revoked";

const revocationSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("token"), tokenId: z.string(), reason: z.string() }),
  z.object({ kind: z.literal("web-session"), sessionHash: z.string(), reason: z.string() }),
  z.object({ kind: z.literal("user"), userId: z.string(), reason: z.string() }),
  z.object({ kind: z.literal("share"), sessionId: z.string(), userId: z.string(), reason: z.string() }),
]);
export type Revocation = z.infer<typeof revocationSchema>;

/** Whether `r` ends a live connection of `principal` (one that follows `sessionId`, if given). */
export function revokes(r: Revocation, principal: Principal, sessionId?: string): boolean {
  switch (r.kind) {
    case "token":
      return principal.tokenId === r.tokenId;
    case "web-session":
      return principal.sessionHash === r.sessionHash;
    case "user":
      return principal.userId === r.userId;
    case "share":
      return sessionId === r.sessionId && principal.userId === r.userId;
  }
}

export async function publishRevocation(redis: Redis, r: Revocation): Promise<void> {
  await redis.publish(REVOCATION_CHANNEL, JSON.stringify(r));
}

export interface LiveConnection {
  principal: Principal;
  /** The session it follows; only then can an unshare end it. */
  sessionId?: string;
  end(r: Revocation): void;
}

interface Registry {
  live: Set<LiveConnection>;
  subscriber?: Redis;
}

export async function stopListeningForRevocations(): Promise<void> {
  const reg = registry();
  reg.subscriber?.disconnect();
  reg.subscriber = undefined;
}

const registry = () => singleton<Registry>("auth-revocations", () => ({ live: new Set() }));

/** Subscribes this process to revocations (at start-up, so none is missed before the first connection). */
export function listenForRevocations(redisUrl: string): void {
  const reg = registry();
  if (!reg.subscriber) {
    const sub = createRedis(redisUrl, { blocking: true });
    sub.on("error", (err) => logger().warn({ err }, "revocation subscriber: Redis error (it reconnects)"));
    sub.on("message", (_channel: string, raw: string) => {
      let r: Revocation;
      try {
        r = revocationSchema.parse(JSON.parse(raw));
      } catch (err) {
        return logger().warn({ err }, "revocation subscriber: ignored a malformed message");
      }
      for (const c of [...reg.live]) {
        if (!revokes(r, c.principal, c.sessionId)) continue;
        reg.live.delete(c);
        c.end(r);
      }
    });
    void sub.subscribe(REVOCATION_CHANNEL).catch((err: unknown) => {
      logger().error(
        { err },
        "revocation subscriber: cannot subscribe; open connections outlive revocations",
      );
    });
    reg.subscriber = sub;
  }
}

/** Registers a live connection until the returned function is called (or it is ended). */
export function watchRevocations(redisUrl: string, connection: LiveConnection): () => void {
  listenForRevocations(redisUrl);
  const reg = registry();
  reg.live.add(connection);
  return () => reg.live.delete(connection);
}
