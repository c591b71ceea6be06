// The primary of a gateway with several processes on one host (server.processes > 1). It owns
// server.port and hands each new connection to a worker (sticky.ts: by the socket.io session it
// names, else round-robin), restarts a worker that dies (with backoff), adds up every worker's
// metrics for /metrics, and on SIGTERM/SIGINT stops accepting, has every worker drain as a lone
// gateway does (server/index.ts) and exits once they all have: 0 when every one exited 0. It runs no
// Next, socket.io, database or Redis client itself.
//
// Why node:cluster and a primary of our own, not several ports behind HAProxy: one port and one
// process to run in every deployment (make, compose, a VM) with nothing else to install or
// configure, connections handed over as file descriptors (the primary copies no bytes), and one
// place that knows the workers, which /metrics, the WebRTC port slices and the drain need. Why not
// @socket.io/sticky: it keeps a map of session ids that the workers must report over IPC, and
// reads a connection on in the primary after routing it, so the later bytes of a request that
// spans several packets can be lost with the handle; slot-named ids (sticky.ts) need no map.
import cluster, { type Worker } from "node:cluster";
import net from "node:net";
import client from "prom-client";
import type { Logger } from "pino";
import { clusterMessage, type RegistryJson } from "./messages";
import { portSlices, type PortRange } from "./port-slices";
import { requestLine, slotOfRequestLine } from "./sticky";

export interface PrimaryOptions {
  count: number;
  port: number;
  host: string;
  log: Logger;
  /** SOMA_WEBRTC_PORTS of this host, cut into one slice per worker; none: the OS picks ports. */
  webrtcPorts?: PortRange;
  /** How long the workers' drain may take (turns, then requests, plus a margin); then they are killed. */
  drainBoundMs: number;
}

/** A worker that dies is started again after 0.5 s, 1 s, 2 s… at most 30 s apart. */
const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 30_000;
/** A worker that served this long before dying starts the backoff over. */
const STABLE_MS = 60_000;
/** A connection that sends no request line in this long is closed (it holds no worker yet). */
const FIRST_LINE_TIMEOUT_MS = 30_000;
/** On shutdown, connections still sending their first request line get this long, then are closed. */
const ROUTING_GRACE_MS = 1_000;
/**
 * How long the primary waits for a worker's metrics (a worker reads Postgres for some gauges). One
 * that does not answer fails the whole scrape: a sum without it would look to Prometheus like every
 * counter of that worker reset, while a failed scrape is only a gap. Under Prometheus' default
 * scrape timeout (10 s).
 */
const METRICS_TIMEOUT_MS = 8_000;

const UNAVAILABLE_BODY = JSON.stringify({
  error: { code: "unavailable", message: "The gateway is starting or restarting: try again shortly." },
});
const UNAVAILABLE =
  "HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-type: application/json\r\n" +
  `retry-after: 1\r\ncontent-length: ${Buffer.byteLength(UNAVAILABLE_BODY)}\r\n\r\n${UNAVAILABLE_BODY}`;

interface Slot {
  index: number;
  worker?: Worker;
  ready: boolean;
  startedAt: number;
  /** Deaths in a row without a stable run between them: the backoff's exponent. */
  crashes: number;
  restart?: NodeJS.Timeout;
}

/**
 * Stops the kernel-level reads of a connection the primary is about to hand over. Pausing the stream
 * is not enough: libuv reads on into the stream's buffer, and what it reads after the handle leaves
 * is dropped (child_process sets the sent handle's onread to a no-op). Node has no public call for
 * this on an accepted socket; `_handle.readStop` is what its own HTTP server uses.
 */
function stopReading(socket: net.Socket): void {
  const handle = (socket as unknown as { _handle?: { readStop?: () => number } })._handle;
  handle?.readStop?.();
}

export function runPrimary(opts: PrimaryOptions): void {
  const { log } = opts;
  const slices = opts.webrtcPorts ? portSlices(opts.webrtcPorts, opts.count) : undefined;
  const slots: Slot[] = Array.from({ length: opts.count }, (_, index) => ({
    index,
    ready: false,
    startedAt: 0,
    crashes: 0,
  }));
  let stopping = false;
  let listening = false;
  let nextSlot = 0;

  // The primary's own figures, added to the workers' on /metrics.
  const registry = new client.Registry();
  const restarts = new client.Counter({
    name: "somaagent_gateway_worker_restarts_total",
    help: "Gateway worker processes that died and were started again",
    registers: [registry],
  });
  new client.Gauge({
    name: "somaagent_gateway_workers",
    help: "Gateway worker processes serving on this host's port",
    registers: [registry],
    aggregator: "max",
    collect() {
      this.set(slots.filter((s) => s.ready).length);
    },
  });

  let requestIds = 0;
  const collecting = new Map<number, (metrics: RegistryJson) => void>();
  const collectFrom = (slot: Slot, worker: Worker) =>
    new Promise<RegistryJson>((resolve, reject) => {
      const id = ++requestIds;
      const timer = setTimeout(() => {
        collecting.delete(id);
        reject(
          new Error(
            `worker ${slot.index} (pid ${worker.process.pid}) sent no metrics in ${METRICS_TIMEOUT_MS / 1000} s`,
          ),
        );
      }, METRICS_TIMEOUT_MS);
      collecting.set(id, (metrics) => {
        clearTimeout(timer);
        collecting.delete(id);
        resolve(metrics);
      });
      worker.send({ type: "soma:metrics-collect", id });
    });
  /** Every serving worker's registry added up (counters and histograms summed; see each metric's aggregator). */
  const metricsText = async (): Promise<string> => {
    const parts = await Promise.all(
      slots.flatMap((s) => (s.ready && s.worker?.isConnected() ? [collectFrom(s, s.worker)] : [])),
    );
    return client.AggregatorRegistry.aggregate([...parts, await registry.getMetricsAsJSON()]).metrics();
  };

  const server = net.createServer({ pauseOnConnect: true }, (socket) => route(socket));

  function pick(wanted: number | undefined): Slot | undefined {
    // A session's own worker; if it is restarting, any other (engine.io there says "Session ID
    // unknown" and the client starts a new session).
    const own = wanted === undefined ? undefined : slots[wanted];
    if (own?.ready) return own;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[(nextSlot + i) % slots.length]!;
      if (slot.ready) {
        nextSlot = (slot.index + 1) % slots.length;
        return slot;
      }
    }
    return undefined;
  }

  /** Connections accepted and not yet handed to a worker. */
  const routing = new Set<net.Socket>();
  let routed: (() => void) | undefined;
  const doneRouting = (socket: net.Socket) => {
    routing.delete(socket);
    if (routing.size === 0) routed?.();
  };

  function route(socket: net.Socket): void {
    let head: Buffer = Buffer.alloc(0);
    routing.add(socket);
    socket.once("close", () => doneRouting(socket));
    socket.setTimeout(FIRST_LINE_TIMEOUT_MS, () => socket.destroy());
    socket.on("error", (err) => log.debug({ err }, "a connection failed before it reached a worker"));
    const onData = (chunk: Buffer) => {
      head = head.length ? Buffer.concat([head, chunk]) : chunk;
      const line = requestLine(head);
      if (line === undefined) return; // the request line is still incomplete
      doneRouting(socket);
      socket.off("data", onData);
      socket.pause();
      stopReading(socket);
      const slot = pick(line ? slotOfRequestLine(line) : undefined);
      if (!slot?.worker) {
        socket.end(UNAVAILABLE);
        return;
      }
      const workerPid = slot.worker.process.pid;
      slot.worker.send({ type: "soma:connection", head: head.toString("base64") }, socket, (err) => {
        if (!err) return;
        log.warn({ err, slot: slot.index, workerPid }, "could not hand a connection to a worker; closed it");
        socket.destroy();
      });
    };
    socket.on("data", onData);
    socket.resume();
  }

  function listen(): void {
    if (listening) return;
    listening = true;
    server.once("error", (err) => {
      log.fatal({ err, port: opts.port }, "gateway failed to start");
      for (const s of slots) s.worker?.process.kill("SIGKILL");
      process.exit(1);
    });
    server.listen(opts.port, opts.host, () =>
      log.info({ port: opts.port, processes: opts.count }, "gateway listening"),
    );
  }

  const exits = new Map<Worker, Promise<number | null>>();

  function fork(slot: Slot): void {
    slot.restart = undefined;
    const slice = slices?.[slot.index];
    const worker = cluster.fork({
      SOMA_GATEWAY_WORKER_SLOT: String(slot.index),
      ...(slice ? { SOMA_WEBRTC_PORTS: `${slice[0]}-${slice[1]}` } : {}),
    });
    slot.worker = worker;
    slot.ready = false;
    slot.startedAt = Date.now();
    const workerPid = worker.process.pid;
    exits.set(
      worker,
      new Promise((resolve) => worker.once("exit", (code, signal) => resolve(signal ? null : code))),
    );
    worker.on("message", (raw: unknown) => {
      const msg = clusterMessage(raw);
      if (msg?.type === "soma:ready") {
        slot.ready = true;
        log.info({ slot: slot.index, workerPid }, "gateway worker serving");
        if (!stopping) listen();
      } else if (msg?.type === "soma:metrics-json") {
        collecting.get(msg.id)?.(msg.metrics);
      } else if (msg?.type === "soma:metrics-request") {
        metricsText().then(
          (text) => worker.send({ type: "soma:metrics-text", id: msg.id, text }),
          (err: unknown) => {
            const error = err instanceof Error ? err.message : String(err);
            log.warn({ error }, "metrics: this scrape fails (a sum without every worker would mislead)");
            worker.send({ type: "soma:metrics-text", id: msg.id, error });
          },
        );
      }
    });
    worker.once("exit", (code, signal) => {
      slot.ready = false;
      slot.worker = undefined;
      exits.delete(worker);
      if (stopping) return;
      const ranMs = Date.now() - slot.startedAt;
      slot.crashes = ranMs >= STABLE_MS ? 1 : slot.crashes + 1;
      const restartInMs = Math.min(RESTART_MAX_MS, RESTART_MIN_MS * 2 ** (slot.crashes - 1));
      restarts.inc();
      log.error(
        { slot: slot.index, workerPid, code, signal, ranMs, restartInMs },
        "gateway worker exited; starting it again",
      );
      slot.restart = setTimeout(() => fork(slot), restartInMs);
    });
  }

  async function stop(signal: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    const workers = slots.flatMap((s) => (s.worker ? [s.worker] : []));
    log.info(
      { signal, workers: workers.length },
      "shutting down: no new connections; every worker drains (finishes its turns and requests)",
    );
    server.close();
    for (const s of slots) clearTimeout(s.restart);
    const waiting = workers.map((w) => exits.get(w) ?? Promise.resolve(w.process.exitCode));
    // Connections accepted before the port closed are served, as by a lone gateway: each is handed
    // on before the workers are told to drain (a moment; one that sends nothing is closed).
    if (routing.size > 0)
      await new Promise<void>((resolve) => {
        routed = resolve;
        setTimeout(() => {
          for (const socket of routing) socket.destroy();
          resolve();
        }, ROUTING_GRACE_MS).unref();
      });
    // Told over IPC, not by a signal: the channel keeps order, so a worker has adopted every
    // connection handed to it before it starts draining (and waits for them). A terminal's Ctrl-C
    // has also sent SIGINT to each worker; the drain starts once whichever comes first.
    for (const w of workers) {
      if (w.isConnected()) w.send({ type: "soma:drain" });
      else w.process.kill("SIGTERM");
    }
    const bound = setTimeout(() => {
      log.error({ boundMs: opts.drainBoundMs }, "workers still draining past the bound; killing them");
      for (const w of workers) w.process.kill("SIGKILL");
    }, opts.drainBoundMs);
    bound.unref();
    const codes = await Promise.all(waiting);
    const clean = codes.every((c) => c === 0);
    log.info({ exitCodes: codes }, "stopped");
    process.exit(clean ? 0 : 1);
  }

  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
  log.info({ processes: opts.count, webrtcPorts: slices }, "starting gateway workers");
  for (const slot of slots) fork(slot);
}
