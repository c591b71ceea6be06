// socket.io `/system`: what every open page hears about the deployment, whatever the page. On
// connect, the maintenance state; then each change, pushed at once (every gateway hears it on Redis
// and tells all its pages). The gateway's shutdown tells its sockets, here and in the other
// namespaces, to reconnect (drainSockets).
import type { Namespace, Server } from "socket.io";
import type { Logger } from "pino";
import { channelHub } from "../lib/realtime/channel-hub";
import { MAINTENANCE_CHANNEL, parseAnnouncement, readMaintenance } from "../lib/maintenance/state";
import type { SystemServerEvents } from "../lib/maintenance/view";
import { redis } from "../lib/server/redis";

export type SystemNamespace = Namespace<Record<string, never>, SystemServerEvents>;

export function attachSystem(
  nsp: SystemNamespace,
  deps: { log: Logger; redisUrl: string },
): { close: () => Promise<void> } {
  nsp.on("connection", (socket) => {
    readMaintenance(redis()).then(
      (view) => socket.emit("maintenance", view),
      // The page loaded the state with itself; it misses only this refresh.
      (err: unknown) => deps.log.warn({ err }, "maintenance state unavailable for a new page"),
    );
  });
  const listening = channelHub(deps.redisUrl).listen(MAINTENANCE_CHANNEL, (raw) => {
    try {
      nsp.emit("maintenance", parseAnnouncement(raw));
    } catch (err) {
      deps.log.error({ err, raw }, "unreadable maintenance announcement");
    }
  });
  listening.catch((err: unknown) =>
    deps.log.error({ err }, "cannot follow maintenance changes: open pages learn them only on reload"),
  );
  return {
    close: async () => {
      await (
        await listening.catch(() => undefined)
      )?.();
    },
  };
}

/**
 * Shutdown: every socket on this gateway, in every namespace, is told to reconnect; a client does so
 * at once (lib/client/reconnect-on-drain.ts), lands on another gateway and resumes from its last
 * event. The sockets are not closed here: a client that ignores the event is closed with the server.
 */
export function drainSockets(io: Server, namespaces: string[]): number {
  let told = 0;
  for (const name of namespaces) {
    const nsp = io.of(name);
    told += nsp.sockets.size;
    (nsp.emit as (event: string, payload: unknown) => boolean)("server.draining", {
      reason: "This gateway is shutting down.",
    });
  }
  return told;
}
