// socket.io on the gateway's HTTP server: one instance, authentication in namespace middleware
// (/chat, /voice, and /system: what every page hears about the deployment). No
// adapter and no rooms: a socket's events come from the Redis channels of what it follows (a session's
// turn events, a call's end, a revocation; lib/realtime/channel-hub.ts), whichever gateway it is on.
import type { Server as HttpServer } from "node:http";
import { Server } from "socket.io";
import type { Logger } from "pino";
import { authenticate, type AuthDeps, type Credentials, type Principal } from "../lib/auth/principal";
import { listenForRevocations, watchRevocations } from "../lib/auth/revocation";
import { attachChat } from "./chat-socket";
import { attachVoice, endAllCalls } from "./voice-socket";
import { metrics } from "../lib/server/metrics";
import { attachSystem, drainSockets } from "./system-socket";

export interface SocketDeps {
  log: Logger;
  redisUrl: string;
  allowedOrigins: string[];
  auth: () => AuthDeps;
}

export interface SocketData {
  principal: Principal;
  /** What the socket authenticated with, to check again (at most every RECHECK_MS). */
  credentials: Credentials;
  checkedAt: number;
}

/** A revocation missed by the pub/sub (a gateway restarting, Redis failing over) still ends the socket here. */
const RECHECK_MS = 30_000;

const NAMESPACES = ["/chat", "/voice", "/system"];

export function attachSocketIo(server: HttpServer, deps: SocketDeps) {
  const io = new Server<Record<string, never>, Record<string, never>, Record<string, never>, SocketData>(
    server,
    {
      path: "/socket.io",
      serveClient: false,
      // Other upgrade requests (Next's dev HMR) are handed to Next, not destroyed.
      destroyUpgrade: false,
      allowRequest: (req, callback) => {
        const origin = req.headers.origin;
        // Browsers always send Origin; scripts and tests without one authenticate by token.
        callback(null, !origin || deps.allowedOrigins.includes(origin));
      },
    },
  );

  listenForRevocations(deps.redisUrl);
  for (const nsp of NAMESPACES) {
    io.of(nsp).use((socket, next) => {
      const token = typeof socket.handshake.auth.token === "string" ? socket.handshake.auth.token : undefined;
      const credentials = {
        authorization: token ? `Bearer ${token}` : undefined,
        cookie: socket.handshake.headers.cookie,
      };
      authenticate(credentials, deps.auth())
        .then((principal) => {
          if (!principal) return next(new Error("unauthorized"));
          socket.data.principal = principal;
          socket.data.credentials = credentials;
          socket.data.checkedAt = Date.now();
          return next();
        })
        .catch((err: unknown) => {
          deps.log.warn({ err, nsp }, "socket authentication unavailable");
          next(new Error("unavailable"));
        });
    });
    io.of(nsp).on("connection", (socket) => {
      const open = metrics().sockets.labels({ nsp });
      open.inc();
      socket.once("disconnect", () => open.dec());
      // Ended by a revocation: say why, then close (the client does not reconnect on a server close).
      const revoke = (reason: string) => {
        (socket.emit as (event: string, payload: unknown) => boolean)("auth.revoked", { reason });
        socket.disconnect(true);
      };
      const unwatch = watchRevocations(deps.redisUrl, {
        principal: socket.data.principal,
        end: (r) => revoke(r.reason),
      });
      socket.on("disconnect", unwatch);
      socket.use((_packet, next) => {
        if (Date.now() - socket.data.checkedAt < RECHECK_MS) return next();
        authenticate(socket.data.credentials, deps.auth())
          .then((principal) => {
            if (!principal) {
              revoke("Your sign-in is no longer valid.");
              return next(new Error("unauthorized"));
            }
            socket.data.checkedAt = Date.now();
            return next();
          })
          .catch((err: unknown) => {
            deps.log.warn({ err, nsp }, "socket re-authentication unavailable; keeping the connection");
            next();
          });
      });
    });
  }
  attachChat(io.of("/chat"), { log: deps.log, redisUrl: deps.redisUrl });
  attachVoice(io.of("/voice"), { log: deps.log, redisUrl: deps.redisUrl });
  const system = attachSystem(io.of("/system"), {
    log: deps.log,
    redisUrl: deps.redisUrl,
  });

  return {
    io,
    /**
     * Shutdown's first step: voice calls here end (told the server is restarting: their media runs
     * on this gateway), then every socket is told to reconnect (elsewhere). Returns how many.
     */
    async drain() {
      await endAllCalls();
      return drainSockets(io, NAMESPACES);
    },
    async close() {
      await endAllCalls();
      await system.close();
      await io.close();
    },
  };
}
