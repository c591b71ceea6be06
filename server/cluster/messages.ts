// What the gateway's primary and its workers say to each other over the cluster's IPC channel.
import type { Registry } from "prom-client";

export type RegistryJson = Awaited<ReturnType<Registry["getMetricsAsJSON"]>>;

/** Primary → worker: a connection (its handle travels with the message) and the bytes read from it. */
export interface ConnectionMessage {
  type: "soma:connection";
  /** What the primary read to route it (the first request line at least), base64. */
  head: string;
}

/** Worker → primary: set up and serving; route connections here. */
export interface ReadyMessage {
  type: "soma:ready";
}

/** Primary → worker: shut down as on SIGTERM (the primary is stopping). */
export interface DrainMessage {
  type: "soma:drain";
}

/** Worker → primary: /metrics was asked for here; send the text for every worker. */
export interface MetricsRequestMessage {
  type: "soma:metrics-request";
  id: number;
}

/** Primary → worker: the answer to a MetricsRequestMessage: the text, or why there is none. */
export interface MetricsTextMessage {
  type: "soma:metrics-text";
  id: number;
  text?: string;
  error?: string;
}

/** Primary → worker: send your registry's metrics (to be added up with the others'). */
export interface MetricsCollectMessage {
  type: "soma:metrics-collect";
  id: number;
}

/** Worker → primary: the answer to a MetricsCollectMessage. */
export interface MetricsJsonMessage {
  type: "soma:metrics-json";
  id: number;
  metrics: RegistryJson;
}

export type ClusterMessage =
  | ConnectionMessage
  | ReadyMessage
  | DrainMessage
  | MetricsRequestMessage
  | MetricsTextMessage
  | MetricsCollectMessage
  | MetricsJsonMessage;

/** The message, if it is one of ours (other modules share the channel: prom-client, Node's cluster). */
export function clusterMessage(raw: unknown): ClusterMessage | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const type = (raw as { type?: unknown }).type;
  return typeof type === "string" && type.startsWith("soma:") ? (raw as ClusterMessage) : undefined;
}
