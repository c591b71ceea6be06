"use client";
// A gateway that is shutting down says `server.draining` on its sockets: the page drops the
// connection itself and socket.io's manager reconnects (with its jittered back-off), which a load
// balancer sends to another gateway; each socket then resumes as after any reconnect (the chat
// joins its session again from the last sequence number it saw).
import type { Manager, Socket } from "socket.io-client";

/** Any socket, whatever its typed event maps. */
export function reconnectOnDrain(socket: { io: Manager }): void {
  (socket as unknown as Socket).on("server.draining", () => {
    // Closing the transport (not the socket) counts as a lost connection, so the manager
    // reconnects every namespace sharing it; socket.disconnect() would not reconnect.
    socket.io.engine?.close();
  });
}
