// Tracing end to end, over both bus transports: with the collector (Jaeger, started by scripts/test.sh)
// as the processes' OTLP endpoint, one chat turn that runs a tool yields ONE trace holding the
// gateway's spans (the request, the turn, admission, the model streams, the tool call), the
// executor's (claim, policy, sandbox run, record, delivery) and the gateway's again (the result back
// in), each executor span a descendant of the outbox row's - read back from Jaeger's HTTP API. Log
// lines of the turn carry its trace id on both sides.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionEvent } from "@/lib/realtime/events";
import {
  client,
  connectChat,
  emitAck,
  postMessageSse,
  readSse,
  seedUser,
  startChatStack,
  type ChatStack,
  type TestUser,
} from "../helpers/chat";
import { waitUntil } from "../helpers/services";

const OTLP = process.env.SOMA_TEST_OTLP_ENDPOINT ?? "http://127.0.0.1:14318";
const JAEGER = process.env.SOMA_TEST_JAEGER_URL ?? "http://127.0.0.1:16686";

interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; spanID: string }[];
  startTime: number;
  duration: number;
  tags: { key: string; value: unknown }[];
  processID: string;
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

async function tracesOfTurn(turnId: string): Promise<JaegerTrace[]> {
  const q = new URLSearchParams({
    service: "somaagent-gateway",
    operation: "turn",
    tags: JSON.stringify({ "somaagent.turn_id": turnId }),
    lookback: "1h",
    limit: "20",
  });
  const res = await fetch(`${JAEGER}/api/traces?${q}`);
  if (!res.ok) throw new Error(`jaeger answered ${res.status}`);
  return ((await res.json()) as { data: JaegerTrace[] | null }).data ?? [];
}

async function traceById(id: string): Promise<JaegerTrace> {
  const res = await fetch(`${JAEGER}/api/traces/${id}`);
  if (!res.ok) throw new Error(`jaeger answered ${res.status} for trace ${id}`);
  const [trace] = ((await res.json()) as { data: JaegerTrace[] }).data;
  return trace!;
}

const tag = (s: JaegerSpan, key: string) => s.tags.find((t) => t.key === key)?.value;

const parentIn = (trace: JaegerTrace, s: JaegerSpan) => {
  const id = s.references.find((r) => r.refType === "CHILD_OF")?.spanID;
  return trace.spans.find((p) => p.spanID === id);
};

describe.each(["bullmq", "kafka"] as const)("one trace per turn over %s", (transport) => {
  let stack: ChatStack;
  let alice: TestUser;

  beforeAll(async () => {
    const up = await fetch(`${JAEGER}/api/services`).catch(() => undefined);
    if (!up?.ok)
      throw new Error(
        `Jaeger is not answering at ${JAEGER} (scripts/services/jaeger.sh start; make test starts it)`,
      );
    stack = await startChatStack({
      SOMA_BUS_TRANSPORT: transport,
      OTEL_EXPORTER_OTLP_ENDPOINT: OTLP,
      // Spans leave within a tenth of a second instead of five (the batch processor's delay).
      OTEL_BSP_SCHEDULE_DELAY: "100",
    });
    alice = await seedUser(stack.db);
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
  });

  it("holds the gateway, the executor and the sandbox, in order, with the context through the bus", async () => {
    const api = client(stack.base, alice.token);
    const sessionId = await api.newSession();
    const res = await postMessageSse(
      stack.base,
      alice.token,
      sessionId,
      'trace this [[tool:code_execution {"runtime":"python","code":"print(6*7)"}]]',
    );
    expect(res.status).toBe(200);
    const { events } = await readSse(res, (e) => e.type === "turn.finished" || e.type === "turn.failed");
    const finished = events.find(
      (e): e is Extract<SessionEvent, { type: "tool.finished" }> => e.type === "tool.finished",
    );
    expect(finished).toMatchObject({ tool: "code_execution", status: "succeeded" });
    const end = events.at(-1)!;
    expect(end.type).toBe("turn.finished");
    const turnId = (end as Extract<SessionEvent, { type: "turn.finished" }>).turnId;

    // The gateway's turn span names the trace. Each process exports its spans in batches of its own,
    // as they end: the executor's root (executor.process, ended after the delivery) may reach Jaeger
    // after the gateway's answer, and the request's span (ended after the answer's stream) last.
    const CHAIN = [
      "tool.call",
      "outbox.insert",
      "outbox.publish",
      "executor.process",
      "executor.claim",
      "sandbox.run",
      "executor.record",
      "executor.deliver",
      "tool.result",
    ] as const;
    let trace!: JaegerTrace;
    await waitUntil(
      async () => {
        const found = await tracesOfTurn(turnId);
        if (found.length !== 1) return false;
        trace = await traceById(found[0]!.traceID);
        const names = trace.spans.map((s) => s.operationName);
        return (
          CHAIN.every((n) => names.includes(n)) &&
          names.includes("POST /api/v1/sessions/:id/messages") &&
          names.filter((n) => n === "model.stream").length === 2
        );
      },
      30_000,
      `the turn's trace in Jaeger (${transport})`,
    );

    const service = (s: JaegerSpan) => trace.processes[s.processID]!.serviceName;
    const byId = new Map(trace.spans.map((s) => [s.spanID, s]));
    const one = (name: string) => {
      const found = trace.spans.filter((s) => s.operationName === name);
      expect(found, name).toHaveLength(1);
      return found[0]!;
    };
    const parentOf = (s: JaegerSpan) =>
      byId.get(s.references.find((r) => r.refType === "CHILD_OF")?.spanID ?? "");
    const ancestors = (s: JaegerSpan) => {
      const out: string[] = [];
      for (let p = parentOf(s); p; p = parentOf(p)) out.push(p.operationName);
      return out;
    };

    // Every span is in this one trace, from both processes.
    expect(new Set(trace.spans.map((s) => s.traceID))).toEqual(new Set([trace.traceID]));
    expect(new Set(trace.spans.map(service))).toEqual(
      new Set(["somaagent-gateway", "somaagent-tool-executor"]),
    );

    // The root is the HTTP request; the turn, its admission and its model streams are beneath it.
    // (Next adds spans of its own - route handling, fetch - as it does whenever a provider is set.)
    const request = one("POST /api/v1/sessions/:id/messages");
    expect(parentOf(request)).toBeUndefined();
    expect(tag(request, "http.response.status_code")).toBe(200);
    const turn = one("turn");
    // Next's own spans (route handling) sit between the request and the turn.
    expect(ancestors(turn).at(-1)).toBe(request.operationName);
    expect(tag(turn, "somaagent.turn_status")).toBe("completed");
    expect(parentOf(one("turn.admit"))).toBe(turn);
    expect(ancestors(one("budget.check"))[0]).toBe("turn.admit");
    expect(trace.spans.some((s) => s.operationName === "authz.openfga")).toBe(true);
    const streams = trace.spans.filter((s) => s.operationName === "model.stream");
    for (const s of streams) {
      expect(parentOf(s)).toBe(turn);
      expect(tag(s, "gen_ai.request.model")).toBe("stub-chat");
      expect(Number(tag(s, "gen_ai.usage.input_tokens"))).toBeGreaterThan(0);
      expect(Number(tag(s, "gen_ai.usage.output_tokens"))).toBeGreaterThan(0);
    }

    // The tool call's chain crosses the outbox and the bus into the executor and back, in order.
    const span = Object.fromEntries(CHAIN.map((n) => [n, one(n)])) as Record<
      (typeof CHAIN)[number],
      JaegerSpan
    >;
    for (let i = 1; i < CHAIN.length; i++) {
      const [before, after] = [span[CHAIN[i - 1]!], span[CHAIN[i]!]];
      expect(after.startTime, `${after.operationName} after ${before.operationName}`).toBeGreaterThanOrEqual(
        before.startTime,
      );
    }
    expect(parentOf(span["tool.call"])).toBe(turn);
    expect(parentOf(span["outbox.insert"])).toBe(span["tool.call"]);
    expect(parentOf(span["outbox.publish"])).toBe(span["outbox.insert"]);
    expect(parentOf(span["executor.process"])).toBe(span["outbox.publish"]);
    for (const n of ["executor.claim", "sandbox.run", "executor.record", "executor.deliver"] as const)
      expect(parentOf(span[n]), n).toBe(span["executor.process"]);
    expect(parentOf(span["tool.result"])).toBe(span["executor.deliver"]);
    // OPA decides twice in the trace: the message's admission, and the tool's run in the executor.
    expect(
      trace.spans.filter((s) => s.operationName === "policy.opa").map((s) => parentOf(s)?.operationName),
    ).toEqual(expect.arrayContaining(["turn.admit", "executor.process"]));

    for (const n of ["tool.call", "outbox.insert", "outbox.publish", "tool.result"] as const)
      expect(service(span[n]), n).toBe("somaagent-gateway");
    for (const n of ["executor.process", "executor.claim", "sandbox.run", "executor.record"] as const)
      expect(service(span[n]), n).toBe("somaagent-tool-executor");
    expect(tag(span["outbox.publish"], "messaging.system")).toBe(transport);
    expect(tag(span["executor.process"], "messaging.system")).toBe(transport);
    expect(tag(span["sandbox.run"], "somaagent.tool")).toBe("code_execution");
    expect(tag(span["sandbox.run"], "somaagent.tool_status")).toBe("succeeded");
    // The second model stream (the answer after the result) starts once the result is back: the
    // executor wakes the waiting gateway as soon as it has recorded it (the bus delivery, span
    // tool.result, is the durable way and may come after).
    const recorded = span["executor.record"];
    expect(streams.map((s) => s.startTime).sort((a, b) => a - b)[1]).toBeGreaterThanOrEqual(
      recorded.startTime + recorded.duration,
    );

    // Log lines written inside the turn name its trace, in the gateway and the executor.
    await waitUntil(
      async () =>
        stack.gateway.output().includes(`"trace_id":"${trace.traceID}"`) &&
        stack.executor.output().includes(`"trace_id":"${trace.traceID}"`),
      10_000,
      "log lines with the trace id",
    );
  });

  it("starts the turn's trace at the socket event that sent the message", async () => {
    const api = client(stack.base, alice.token);
    const sessionId = await api.newSession();
    const socket = await connectChat(stack.base, alice.token);
    try {
      const sent = await emitAck<{ turnId: string }>(socket, "message.send", {
        sessionId,
        content: "hello over the socket",
      });
      if (!sent.ok) throw new Error(`message.send refused: ${sent.error.message}`);
      let trace!: JaegerTrace;
      await waitUntil(
        async () => {
          const [found] = await tracesOfTurn(sent.data.turnId);
          if (!found) return false;
          trace = await traceById(found.traceID);
          return trace.spans.some(
            (s) => s.operationName === "turn" && tag(s, "somaagent.turn_status") === "completed",
          );
        },
        30_000,
        "the socket turn's trace in Jaeger",
      );
      const [root, ...others] = trace.spans.filter((s) => !parentIn(trace, s));
      expect(others).toEqual([]);
      expect(root!.operationName).toBe("socket message.send");
      const turn = trace.spans.find((s) => s.operationName === "turn")!;
      expect(parentIn(trace, turn)).toBe(root);
      const authz = trace.spans.find((s) => s.operationName === "authz.openfga")!;
      expect(parentIn(trace, authz)).toBe(root);
      expect(
        trace.spans.filter((s) => s.operationName === "model.stream").map((s) => parentIn(trace, s)),
      ).toEqual([turn]);
    } finally {
      socket.disconnect();
    }
  });
});
