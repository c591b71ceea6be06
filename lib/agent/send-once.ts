// A message sent again because its acknowledgement was lost (the gateway drained or the socket
// dropped between the send and the reply) must not start a second turn. The client names each
// message once (`clientMessageId`); the first start claims that name in Redis with the turn id it
// will use, and a repeat, on this gateway or any other, answers with that turn instead of starting
// one. A start that fails after the claim releases it, so the next attempt really starts the turn.
import type { Redis } from "ioredis";
import type { Principal } from "../auth/principal";
import { AppError } from "../errors";
import type { Db } from "../server/db";
import { RELEASE_IF_HELD } from "./turns";

/** How long a name is remembered: far longer than any client goes on retrying one message. */
const CLAIM_TTL_S = 15 * 60;
/** How long a repeat waits for the first start to write its message (it is mid-start on some gateway). */
const REPEAT_WAIT_MS = 5_000;
const REPEAT_POLL_MS = 50;

export const clientMessageKey = (sessionId: string, clientMessageId: string) =>
  `session:${sessionId}:client-message:${clientMessageId}`;

export interface Started {
  messageId: string;
  turnId: string;
}

/**
 * Starts the turn through `start(turnId)` unless this user already sent `clientMessageId` in the
 * session; then it answers with the turn that message started (`repeated: true`).
 */
export async function startOnce(
  deps: { db: Db; redis: Redis },
  principal: Principal,
  sessionId: string,
  clientMessageId: string | undefined,
  start: (turnId: string) => Promise<Started>,
): Promise<Started & { repeated: boolean }> {
  const turnId = crypto.randomUUID();
  if (!clientMessageId) return { ...(await start(turnId)), repeated: false };
  const key = clientMessageKey(sessionId, clientMessageId);
  const claim = `${principal.userId}:${turnId}`;
  const claimed = await deps.redis.set(key, claim, "EX", CLAIM_TTL_S, "NX");
  if (claimed !== "OK") return { ...(await repeatOf(deps, principal, key)), repeated: true };
  try {
    return { ...(await start(turnId)), repeated: false };
  } catch (err) {
    await deps.redis.eval(RELEASE_IF_HELD, 1, key, claim).catch(() => undefined);
    throw err;
  }
}

async function repeatOf(deps: { db: Db; redis: Redis }, principal: Principal, key: string): Promise<Started> {
  const deadline = Date.now() + REPEAT_WAIT_MS;
  for (;;) {
    const held = await deps.redis.get(key);
    // Released: the first attempt failed after all; this one may start it. Told to send again.
    if (!held) throw retryable();
    const [userId, turnId] = held.split(":");
    // Another user's name for a message (they cannot know it, but say nothing of it).
    if (userId !== principal.userId || !turnId)
      throw new AppError("conflict", "This message id is already in use; send the message again.");
    const message = await deps.db.message.findFirst({
      where: { turnId, role: "user" },
      select: { id: true },
    });
    if (message) return { messageId: message.id, turnId };
    if (Date.now() >= deadline) throw retryable();
    await new Promise((r) => setTimeout(r, REPEAT_POLL_MS));
  }
}

const retryable = () =>
  new AppError("unavailable", "The first attempt to send this message did not finish; send it again.", {
    headers: { "retry-after": "1" },
  });
