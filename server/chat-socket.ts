// socket.io `/chat`: join a session (after authorization) and receive its events from the sequence
// number the client already has; send messages; cancel turns. Payloads are validated; a bad one gets
// an error reply to that client only.
import type { Namespace, Socket } from "socket.io";
import type { Logger } from "pino";
import type { Principal } from "../lib/auth/principal";
import { socketHandler } from "./socket-handler";
import { turns } from "../lib/agent/turns";
import { followSession, lastSeq } from "../lib/realtime/event-log";
import {
  cancelPayload,
  joinPayload,
  leavePayload,
  sendPayload,
  type ChatClientEvents,
  type ChatServerEvents,
} from "../lib/realtime/events";
import { redis } from "../lib/server/redis";
import { db } from "../lib/server/db";
import { startOnce } from "../lib/agent/send-once";
import { sessionFor } from "../lib/sessions/service";
import { enforceRateLimit } from "../lib/ratelimit/policy";
import { watchRevocations } from "../lib/auth/revocation";
import { timeTurnStart, turnStartStage } from "../lib/agent/turn-start-timing";

export interface ChatSocketData {
  principal: Principal;
  follows?: Map<string, () => Promise<void>>;
}

type ChatSocket = Socket<ChatClientEvents, ChatServerEvents, Record<string, never>, ChatSocketData>;
export type ChatNamespace = Namespace<
  ChatClientEvents,
  ChatServerEvents,
  Record<string, never>,
  ChatSocketData
>;

export function attachChat(nsp: ChatNamespace, deps: { log: Logger; redisUrl: string }): void {
  nsp.on("connection", (socket: ChatSocket) => {
    const { principal } = socket.data;
    const follows = new Map<string, () => Promise<void>>();
    socket.data.follows = follows;
    const log = deps.log.child({ socket: socket.id, userId: principal.userId });

    socket.on(
      "session.join",
      socketHandler(socket, log, "session.join", joinPayload, async ({ sessionId, afterSeq }) => {
        await sessionFor(principal, sessionId, "read");
        await follows.get(sessionId)?.();
        const current = await lastSeq(redis(), sessionId);
        const unfollow = await followSession(redis(), deps.redisUrl, sessionId, afterSeq ?? current, (e) =>
          socket.emit("event", e),
        );
        const stop = async () => {
          unwatch();
          await unfollow();
        };
        // Unshared while following: the events stop at once, and the client is told why.
        const unwatch = watchRevocations(deps.redisUrl, {
          principal,
          sessionId,
          end: (r) => {
            if (follows.get(sessionId) === stop) follows.delete(sessionId);
            void unfollow();
            if (r.kind === "share") socket.emit("session.revoked", { sessionId, reason: r.reason });
          },
        });
        follows.set(sessionId, stop);
        return { lastSeq: current };
      }),
    );
    socket.on(
      "session.leave",
      socketHandler(socket, log, "session.leave", leavePayload, async ({ sessionId }) => {
        await follows.get(sessionId)?.();
        follows.delete(sessionId);
        return null;
      }),
    );
    socket.on(
      "message.send",
      socketHandler(socket, log, "message.send", sendPayload, ({ sessionId, content, clientMessageId }) =>
        timeTurnStart(async () => {
          const session = await sessionFor(principal, sessionId, "write");
          turnStartStage("authorize");
          // Counted inside the start: a message sent again by the same name (the page retrying
          // through a drain) answers with its turn and is not counted again; a refusal releases
          // the name, so the message can be sent once the window allows.
          const { messageId, turnId } = await startOnce(
            { db: db(), redis: redis() },
            principal,
            sessionId,
            clientMessageId,
            async (turnId) => {
              // Counted before anything else is asked of Redis: a refused message costs one script.
              await enforceRateLimit(principal, "chatMessages");
              turnStartStage("rate_limit");
              return turns().start(principal, session, content, { turnId });
            },
          );
          return { messageId, turnId };
        }),
      ),
    );
    socket.on(
      "turn.cancel",
      socketHandler(socket, log, "turn.cancel", cancelPayload, async ({ sessionId, turnId }) => {
        await sessionFor(principal, sessionId, "write");
        return turns().cancel(sessionId, turnId);
      }),
    );
    socket.on("disconnect", () => {
      for (const stop of follows.values()) void stop();
      follows.clear();
    });
  });
}
