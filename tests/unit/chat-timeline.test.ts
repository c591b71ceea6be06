// The UI's conversation view: built from a REST snapshot, kept current by events, safe against
// duplicates and against a snapshot that lags a streaming answer.
import { describe, expect, it } from "vitest";
import { applyEvent, fromDetail, type ChatView } from "@/lib/client/timeline";
import type { SessionEventBody } from "@/lib/realtime/events";
import type { SessionDetail } from "@/lib/sessions/schemas";

const S = "11111111-1111-4111-8111-111111111111";
const T = "22222222-2222-4222-8222-222222222222";
const at = "2026-01-01T00:00:00.000Z";

function empty(): SessionDetail {
  return {
    id: S,
    title: "t",
    createdAt: at,
    updatedAt: at,
    access: "owner",
    lastSeq: 0,
    messages: [],
    toolCalls: [],
    turns: [],
  };
}

function play(view: ChatView, bodies: SessionEventBody[], from = view.lastSeq + 1): ChatView {
  return bodies.reduce((v, b, i) => applyEvent(v, { ...b, seq: from + i, sessionId: S, at }), view);
}

describe("chat timeline", () => {
  it("streams an answer, shows a tool card going from running to done, and ends the turn", () => {
    let v = fromDetail(empty());
    v = play(v, [
      { type: "turn.started", turnId: T, messageId: "u1", content: "hi" },
      { type: "message.started", turnId: T, messageId: "a1" },
      { type: "message.delta", turnId: T, messageId: "a1", delta: "Hel", offset: 0 },
      { type: "message.delta", turnId: T, messageId: "a1", delta: "lo", offset: 3 },
      { type: "tool.started", turnId: T, toolCallId: "c1", tool: "code_execution", arguments: { code: "1" } },
    ]);
    expect(v.runningTurnId).toBe(T);
    expect(v.items.map((i) => i.kind)).toEqual(["user", "assistant", "tool"]);
    expect(v.items[1]).toMatchObject({ content: "Hello", complete: false });
    expect(v.tools.c1!.status).toBe("running");
    v = play(v, [
      {
        type: "tool.finished",
        turnId: T,
        toolCallId: "c1",
        tool: "code_execution",
        status: "succeeded",
        result: { stdout: "1" },
        durationMs: 5,
      },
      { type: "turn.finished", turnId: T, usage: { promptTokens: 3, completionTokens: 2 }, steps: 2 },
    ]);
    expect(v.tools.c1).toMatchObject({ status: "succeeded", arguments: { code: "1" }, durationMs: 5 });
    expect(v.runningTurnId).toBeNull();
    expect(v.items[1]).toMatchObject({ complete: true });
  });

  it("ignores events it already has and deltas that do not fit", () => {
    let v = play(fromDetail(empty()), [
      { type: "turn.started", turnId: T, messageId: "u1", content: "hi" },
      { type: "message.delta", turnId: T, messageId: "a1", delta: "ab", offset: 0 },
    ]);
    const again = applyEvent(v, {
      type: "message.delta",
      turnId: T,
      messageId: "a1",
      delta: "ab",
      offset: 0,
      seq: 2,
      sessionId: S,
      at,
    });
    expect(again).toBe(v);
    v = applyEvent(v, {
      type: "message.delta",
      turnId: T,
      messageId: "a1",
      delta: "zz",
      offset: 10,
      seq: 3,
      sessionId: S,
      at,
    });
    expect(v.items[1]).toMatchObject({ content: "ab" });
    v = applyEvent(v, {
      type: "message.completed",
      turnId: T,
      messageId: "a1",
      content: "abcdef",
      seq: 4,
      sessionId: S,
      at,
    });
    expect(v.items[1]).toMatchObject({ content: "abcdef", complete: true });
  });

  it("replays a running turn from its start instead of trusting a lagging snapshot", () => {
    const d = empty();
    d.lastSeq = 7;
    d.turns = [
      {
        id: T,
        status: "running",
        error: null,
        model: null,
        steps: 1,
        usage: { promptTokens: 0, completionTokens: 0 },
        startedAt: at,
        finishedAt: null,
        startSeq: 3,
      },
    ];
    d.messages = [
      {
        id: "u1",
        turnId: T,
        role: "user",
        content: "hi",
        complete: true,
        toolCalls: null,
        toolCallId: null,
        source: "text",
        voice: null,
        createdAt: at,
      },
      {
        id: "a1",
        turnId: T,
        role: "assistant",
        content: "Hel",
        complete: false,
        toolCalls: null,
        toolCallId: null,
        source: "text",
        voice: null,
        createdAt: at,
      },
    ];
    let v = fromDetail(d);
    expect(v.lastSeq).toBe(2);
    expect(v.runningTurnId).toBe(T);
    v = play(
      v,
      [
        { type: "turn.started", turnId: T, messageId: "u1", content: "hi" },
        { type: "message.started", turnId: T, messageId: "a1" },
        { type: "message.delta", turnId: T, messageId: "a1", delta: "Hel", offset: 0 },
        { type: "message.delta", turnId: T, messageId: "a1", delta: "lo!", offset: 3 },
      ],
      3,
    );
    expect(v.items.filter((i) => i.kind === "user")).toHaveLength(1);
    expect(v.items[1]).toMatchObject({ content: "Hello!" });
  });

  it("shows failed and interrupted turns with a retry of the user's message; stopped ones without", () => {
    let v = play(fromDetail(empty()), [
      { type: "turn.started", turnId: T, messageId: "u1", content: "do it" },
      { type: "tool.started", turnId: T, toolCallId: "c1", tool: "code_execution", arguments: {} },
      {
        type: "turn.failed",
        turnId: T,
        reason: "The model provider failed (500)",
        code: "provider_error",
        usage: { promptTokens: 0, completionTokens: 0 },
      },
    ]);
    expect(v.items.at(-1)).toMatchObject({
      kind: "notice",
      status: "failed",
      reason: "The model provider failed (500)",
      retryContent: "do it",
    });
    expect(v.tools.c1!.status).toBe("killed");

    const d = empty();
    d.turns = [
      {
        id: T,
        status: "cancelled",
        error: null,
        model: "m",
        steps: 1,
        usage: { promptTokens: 0, completionTokens: 0 },
        startedAt: at,
        finishedAt: at,
        startSeq: null,
      },
    ];
    d.messages = [
      {
        id: "u1",
        turnId: T,
        role: "user",
        content: "x",
        complete: true,
        toolCalls: null,
        toolCallId: null,
        source: "text",
        voice: null,
        createdAt: at,
      },
    ];
    v = fromDetail(d);
    expect(v.items.at(-1)).toMatchObject({ kind: "notice", status: "cancelled", reason: "Stopped." });
  });

  it("marks spoken turns, and shows an answer spoken over as interrupted, without a Stopped notice", () => {
    let v = fromDetail(empty());
    v = play(v, [
      { type: "turn.started", turnId: T, messageId: "u1", content: "tell me a story", source: "voice" },
      { type: "message.started", turnId: T, messageId: "a1" },
      { type: "message.delta", turnId: T, messageId: "a1", delta: "Once upon a time there was", offset: 0 },
      { type: "turn.cancelled", turnId: T, usage: { promptTokens: 1, completionTokens: 1 } },
    ]);
    expect(v.items.map((i) => i.kind)).toEqual(["user", "assistant", "notice"]);
    expect(v.items[0]).toMatchObject({ voice: true });
    expect(v.items[1]).toMatchObject({ voice: true });
    v = play(v, [
      { type: "message.truncated", turnId: T, messageId: "a1", content: "Once upon a time", heardMs: 900 },
    ]);
    expect(v.items.map((i) => i.kind)).toEqual(["user", "assistant"]);
    expect(v.items[1]).toMatchObject({ content: "Once upon a time", interrupted: true, complete: true });

    // The same after a reload.
    const snapshot = fromDetail({
      ...empty(),
      messages: [
        {
          id: "u1",
          turnId: T,
          role: "user",
          content: "tell me a story",
          complete: true,
          toolCalls: null,
          toolCallId: null,
          source: "voice",
          voice: { callId: "c" },
          createdAt: at,
        },
        {
          id: "a1",
          turnId: T,
          role: "assistant",
          content: "Once upon a time",
          complete: true,
          toolCalls: null,
          toolCallId: null,
          source: "voice",
          voice: { callId: "c", interrupted: true, heardMs: 900, fullText: "Once upon a time there was" },
          createdAt: at,
        },
      ],
      turns: [
        {
          id: T,
          status: "cancelled",
          error: null,
          model: "m",
          steps: 1,
          usage: { promptTokens: 1, completionTokens: 1 },
          startedAt: at,
          finishedAt: at,
          startSeq: null,
        },
      ],
    });
    expect(snapshot.items.map((i) => i.kind)).toEqual(["user", "assistant"]);
    expect(snapshot.items[1]).toMatchObject({ voice: true, interrupted: true });
  });

  it("rebuilds tool cards from a snapshot, including calls refused for malformed arguments", () => {
    const d = empty();
    d.turns = [
      {
        id: T,
        status: "completed",
        error: null,
        model: "m",
        steps: 2,
        usage: { promptTokens: 1, completionTokens: 1 },
        startedAt: at,
        finishedAt: at,
        startSeq: null,
      },
    ];
    d.messages = [
      {
        id: "u1",
        turnId: T,
        role: "user",
        content: "x",
        complete: true,
        toolCalls: null,
        toolCallId: null,
        source: "text",
        voice: null,
        createdAt: at,
      },
      {
        id: "a1",
        turnId: T,
        role: "assistant",
        content: "",
        complete: true,
        toolCalls: [
          { id: "c1", name: "code_execution", arguments: "{bad" },
          { id: "c2", name: "code_execution", arguments: "{}" },
        ],
        toolCallId: null,
        source: "text",
        voice: null,
        createdAt: at,
      },
      {
        id: "t1",
        turnId: T,
        role: "tool",
        content: "Error: The arguments are not valid JSON",
        complete: true,
        toolCalls: null,
        toolCallId: "c1",
        source: "text",
        voice: null,
        createdAt: at,
      },
      {
        id: "a2",
        turnId: T,
        role: "assistant",
        content: "done",
        complete: true,
        toolCalls: null,
        toolCallId: null,
        source: "text",
        voice: null,
        createdAt: at,
      },
    ];
    d.toolCalls = [
      {
        id: "c2",
        turnId: T,
        tool: "code_execution",
        arguments: {},
        status: "succeeded",
        result: { stdout: "1" },
        error: null,
        createdAt: at,
        completedAt: at,
      },
    ];
    const v = fromDetail(d);
    expect(v.items.map((i) => i.kind)).toEqual(["user", "tool", "tool", "assistant"]);
    expect(v.tools.c1).toMatchObject({ status: "failed", error: "The arguments are not valid JSON" });
    expect(v.tools.c2).toMatchObject({ status: "succeeded" });
  });
});
