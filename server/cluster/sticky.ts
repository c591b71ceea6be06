// Sticky routing for socket.io long-polling across the gateway's processes on one port. Each worker
// makes engine.io session ids that name its slot (g<slot>-<random>); the primary reads the first
// request line of each new TCP connection and hands the connection to the slot its `sid` names, or
// round-robin when there is none (a handshake, a WebSocket, any other request). Nothing to look up
// and nothing to forget: a restarted worker keeps its slot, and an id it does not know is answered
// "Session ID unknown" by engine.io, on which the client starts a new session.
import { randomBytes } from "node:crypto";

/** The longest first request line the primary waits for before routing without it. */
export const MAX_REQUEST_LINE = 8_192;

/** An engine.io session id naming the slot that made it (as URL-safe as engine.io's own ids). */
export function stickySessionId(slot: number): string {
  return `g${slot}-${randomBytes(15).toString("base64url")}`;
}

const SID = /[?&]sid=g(\d+)-/;

/** The slot a socket.io request's `sid` names, from the request's target (`/socket.io/?…&sid=…`). */
export function slotOfTarget(target: string | undefined): number | undefined {
  if (!target?.startsWith("/socket.io/")) return undefined;
  const m = SID.exec(target);
  return m ? Number(m[1]) : undefined;
}

/**
 * The first request line of what a connection sent so far: undefined while it is incomplete (wait
 * for more), "" when it will not come (too long, or not HTTP/1: route without it).
 */
export function requestLine(head: Buffer): string | undefined {
  const end = head.indexOf("\n");
  if (end === -1) return head.length >= MAX_REQUEST_LINE ? "" : undefined;
  return head.subarray(0, end).toString("latin1").trimEnd();
}

/** The slot a connection's first request line names, if any. */
export function slotOfRequestLine(line: string): number | undefined {
  const [, target] = line.split(" ");
  return slotOfTarget(target);
}
