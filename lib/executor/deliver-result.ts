// How an executor hands a result back: on the results channel of the bus, or by the signed
// callback to a gateway (POST /api/internal/tool-results), as executor.resultRoute says. The result
// itself is in Postgres already (the executor recorded it first): the message only says which call
// finished and how, so the output travels once, and the waiting gateway reads it from the row.
import type { Bus } from "../bus";
import type { ToolResult } from "../bus/messages";
import { sign, SIGNATURE_HEADER, TIMESTAMP_HEADER } from "./callback-signature";
import { httpHeaders, type TraceCarrier } from "../tracing/propagation";

/** What a delivery carries: the call and how it ended, not its output. */
export function slim(result: ToolResult): ToolResult {
  const { version, toolCallId, sessionId, status, finishedAt } = result;
  return { version, toolCallId, sessionId, status, finishedAt };
}

export function resultDelivery(opts: {
  route: "bus" | "callback";
  bus: Bus;
  callbackUrl: string;
  callbackSecret?: string;
}) {
  if (opts.route === "bus") {
    return (result: ToolResult, trace?: TraceCarrier) =>
      opts.bus.publish("toolResults", result.sessionId, slim(result), trace);
  }
  const secret = opts.callbackSecret;
  if (!secret)
    throw new Error("executor.resultRoute is 'callback' but SOMA_INTERNAL_CALLBACK_SECRET is not set");
  return async (result: ToolResult, trace?: TraceCarrier) => {
    const body = JSON.stringify(slim(result));
    const ts = Math.floor(Date.now() / 1000);
    const res = await fetch(opts.callbackUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        [SIGNATURE_HEADER]: sign(secret, body, ts),
        [TIMESTAMP_HEADER]: String(ts),
        ...httpHeaders(trace), // traceparent: the gateway's span continues the call's trace
      },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    // Not acknowledged: the bus message is redelivered and the recorded result sent again.
    if (!res.ok) throw new Error(`tool-result callback answered ${res.status}`);
  };
}
