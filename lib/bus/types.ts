// One bus interface, two transports (BullMQ on Redis for one machine, Kafka for scale-out).
import type { ToolRequest, ToolResult, DeadLetter } from "./messages";
import type { TraceCarrier } from "../tracing/propagation";

export type Channel = "tools" | "toolResults" | "deadLetter";

export interface ChannelMessage {
  tools: ToolRequest;
  toolResults: ToolResult;
  deadLetter: DeadLetter;
}

/**
 * A handler returns when the message is durably handled; only then is it acknowledged. `trace` is
 * the trace the message belongs to (Kafka headers, BullMQ job data), when it was sent with one.
 */
export type Handler = (raw: string, trace?: TraceCarrier) => Promise<void>;

/** One message to publish; `trace` travels beside it (never inside the versioned message). */
export interface Outgoing<C extends Channel> {
  key: string;
  message: ChannelMessage[C];
  trace?: TraceCarrier | undefined;
}

export interface Bus {
  readonly transport: "bullmq" | "kafka";
  publish<C extends Channel>(
    channel: C,
    key: string,
    message: ChannelMessage[C],
    trace?: TraceCarrier,
  ): Promise<void>;
  /** Several messages of one channel in one round trip, in order. */
  publishMany<C extends Channel>(channel: C, items: Outgoing<C>[]): Promise<void>;
  /** Consume a channel as part of a group (Kafka consumer group / BullMQ worker). */
  consume(channel: Channel, group: string, handler: Handler, opts?: { concurrency?: number }): Promise<void>;
  close(): Promise<void>;
}
