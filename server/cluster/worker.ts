// A gateway worker under the primary (primary.ts). It serves the connections the primary hands it,
// makes socket.io session ids that name its slot (sticky.ts), passes on a long-polling request for
// another worker's session, adds its metrics to the primary's sum, and asks the primary for that sum
// when /metrics is requested here.
import cluster from "node:cluster";
import fs from "node:fs";
import http, { type Server as HttpServer } from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Server as IoServer } from "socket.io";
import type { EnvMap } from "../../lib/config/env";
import { AppError } from "../../lib/errors";
import { clusterMessage, type ClusterMessage } from "./messages";
import { slotOfTarget, stickySessionId } from "./sticky";

/** This process's slot when it is a worker under the primary; undefined for a lone gateway. */
export function workerSlot(env: EnvMap): number | undefined {
  if (!cluster.isWorker) return undefined;
  const slot = Number(env.SOMA_GATEWAY_WORKER_SLOT);
  return Number.isInteger(slot) && slot >= 0 ? slot : undefined;
}

const send = (msg: ClusterMessage, handle?: net.Socket) => process.send?.(msg, handle);

/**
 * Where a worker listens for what its siblings pass on (and listens at all, which Node's HTTP
 * server needs to track the connections it was handed, so a drain can close the idle ones). A Unix
 * socket only this user can open, named after the primary: one per gateway on the host.
 */
export function siblingSocketPath(slot: number): string {
  return path.join(os.tmpdir(), `somaagent-gateway-${process.ppid}-${slot}.sock`);
}

export interface GatewayWorker {
  slot: number;
  /** Listens for siblings, then takes the primary's connections and says it is serving. */
  serve(): Promise<void>;
  /** Resolves once every connection it was handed has closed (the primary hands none after its drain message). */
  drained(): Promise<void>;
  /** What to do when the primary says to drain (it is stopping). */
  onDrain(drain: () => void): void;
  /** Every worker's metrics, added up by the primary. */
  metricsText(): Promise<string>;
}

export function startWorker(opts: {
  slot: number;
  server: HttpServer;
  io: IoServer;
  registry: Registry;
  log: Logger;
}): GatewayWorker {
  const { slot, server, io, log } = opts;
  io.engine.generateId = () => stickySessionId(slot);
  passOnOtherSessions(server, slot, log);

  const open = new Set<net.Socket>();
  let allClosed: (() => void) | undefined;
  let drain: (() => void) | undefined;
  /** Asked before the gateway could drain (still starting): it drains as soon as it can. */
  let drainAsked = false;
  // Adopted while draining too: the primary accepted it before its port closed, and a lone gateway
  // serves what it accepted before closing (answering 503 where it no longer starts work).
  const adopt = (socket: net.Socket, head: Buffer) => {
    open.add(socket);
    socket.once("close", () => {
      open.delete(socket);
      if (open.size === 0) allClosed?.();
    });
    // The HTTP server takes it as if it had accepted it, then reads what the primary already did.
    server.emit("connection", socket);
    socket.emit("data", head);
    socket.resume();
  };

  let requestIds = 0;
  const metricsWaiters = new Map<number, (answer: { text?: string; error?: string }) => void>();
  process.on("message", (raw: unknown, handle: unknown) => {
    const msg = clusterMessage(raw);
    if (msg?.type === "soma:connection" && handle instanceof net.Socket)
      adopt(handle, Buffer.from(msg.head, "base64"));
    else if (msg?.type === "soma:metrics-collect")
      opts.registry.getMetricsAsJSON().then(
        (metrics) => send({ type: "soma:metrics-json", id: msg.id, metrics }),
        (err: unknown) => {
          // The primary leaves this worker out of the scrape after its timeout.
          log.error({ err }, "metrics: could not read this worker's registry");
        },
      );
    else if (msg?.type === "soma:metrics-text") metricsWaiters.get(msg.id)?.(msg);
    else if (msg?.type === "soma:drain") {
      drainAsked = true;
      drain?.();
    }
  });

  return {
    slot,
    async serve() {
      const where = siblingSocketPath(slot);
      // A socket file left by a worker of this slot that was killed.
      fs.rmSync(where, { force: true });
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(where, () => resolve());
      });
      fs.chmodSync(where, 0o600);
      send({ type: "soma:ready" });
    },
    onDrain(fn) {
      drain = fn;
      if (drainAsked) fn();
    },
    drained() {
      return open.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (allClosed = resolve));
    },
    metricsText() {
      const id = ++requestIds;
      const unavailable = (why: string) =>
        new AppError("unavailable", "Metrics are unavailable for this scrape; try again.", {
          logContext: { why },
        });
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          metricsWaiters.delete(id);
          reject(unavailable("the primary sent no metrics in 10 s"));
        }, 10_000);
        metricsWaiters.set(id, (answer) => {
          clearTimeout(timer);
          metricsWaiters.delete(id);
          if (answer.text !== undefined) resolve(answer.text);
          else reject(unavailable(answer.error ?? "no reason given"));
        });
        send({ type: "soma:metrics-request", id });
      });
    },
  };
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade"]);

/**
 * A long-polling request for a session another worker holds reaches this one when the browser sends
 * it on a keep-alive connection that the primary handed here for an earlier request (the primary
 * routes by a connection's first request only). It is passed to that worker over its sibling socket
 * rather than answered "Session ID unknown", which would cost the client a new session.
 */
function passOnOtherSessions(server: HttpServer, slot: number, log: Logger): void {
  // socket.io put its listener first (attach); ours goes in front of it.
  const listeners = server.listeners("request") as ((...args: unknown[]) => void)[];
  server.removeAllListeners("request");
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const owner = slotOfTarget(req.url);
    if (owner === undefined || owner === slot) {
      for (const listener of listeners) listener.call(server, req, res);
      return;
    }
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !HOP_BY_HOP.has(k)));
    const upstream = http.request(
      { socketPath: siblingSocketPath(owner), method: req.method, path: req.url, headers },
      (answer) => {
        const back = Object.fromEntries(Object.entries(answer.headers).filter(([k]) => !HOP_BY_HOP.has(k)));
        res.writeHead(answer.statusCode ?? 502, back);
        answer.pipe(res);
      },
    );
    upstream.on("error", (err) => {
      // The owner is restarting or gone: its sessions are, too. Answered as engine.io answers an
      // id it does not know, so the client starts a new session (and rejoins from its last event).
      log.info(
        { err: err.message, owner },
        "a polling request for another worker's session could not be passed on",
      );
      if (res.headersSent) return void res.destroy();
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: 1, message: "Session ID unknown" }));
    });
    req.pipe(upstream);
  });
}
