// The conversation as the UI shows it, built from a session's REST snapshot and kept current by its
// events. Pure functions: the same events applied twice, or events already reflected in the
// snapshot, leave the same view (sequence numbers and delta offsets make that safe).
import type { SessionDetail } from "../sessions/schemas";
import type { SessionEvent, Usage } from "../realtime/events";
import type { ToolStatus as FinalStatus } from "../tool-status";

export type ToolStatus = "running" | FinalStatus;

export interface ToolCard {
  id: string;
  tool: string;
  arguments: unknown;
  status: ToolStatus;
  result?: unknown;
  error?: string;
  durationMs?: number;
}

export interface TextItem {
  kind: "user" | "assistant";
  id: string;
  turnId: string | null;
  content: string;
  complete: boolean;
  /** Spoken in a voice call. */
  voice?: boolean;
  /** A spoken answer cut short by the person: `content` is what was heard of it. */
  interrupted?: boolean;
}

export interface NoticeItem {
  kind: "notice";
  id: string;
  turnId: string;
  status: "failed" | "cancelled" | "interrupted";
  reason: string;
  /** The message that started the turn, for "Retry". */
  retryContent?: string;
}

export type TimelineItem = TextItem | { kind: "tool"; id: string } | NoticeItem;

export interface TurnState {
  status: "running" | "completed" | "failed" | "cancelled" | "interrupted";
  usage?: Usage;
  /** Started by voice: its answer is spoken. */
  voice?: boolean;
}

export interface ChatView {
  sessionId: string;
  title: string;
  /** owner: may post and change it; viewer: shared with the caller, read only. */
  access: "owner" | "viewer";
  lastSeq: number;
  items: TimelineItem[];
  tools: Record<string, ToolCard>;
  turns: Record<string, TurnState>;
  runningTurnId: string | null;
  deleted: boolean;
}

function notice(
  turnId: string,
  status: NoticeItem["status"],
  reason: string,
  retryContent?: string,
): NoticeItem {
  return {
    kind: "notice",
    id: `notice-${turnId}`,
    turnId,
    status,
    reason,
    ...(retryContent ? { retryContent } : {}),
  };
}

const NOTICE_TEXT: Record<NoticeItem["status"], string> = {
  failed: "The turn failed.",
  cancelled: "Stopped.",
  interrupted: "This turn was interrupted.",
};

export function fromDetail(d: SessionDetail): ChatView {
  const tools: Record<string, ToolCard> = {};
  for (const c of d.toolCalls)
    tools[c.id] = {
      id: c.id,
      tool: c.tool,
      arguments: c.arguments,
      status: c.status === "pending" || c.status === "queued" ? "running" : c.status,
      ...(c.result === null ? {} : { result: c.result }),
      ...(c.error ? { error: c.error } : {}),
    };
  const turnRows = new Map(d.turns.map((t) => [t.id, t]));
  const userContent = new Map<string, string>();
  const items: TimelineItem[] = [];
  const toolMessages = new Map(d.messages.filter((m) => m.role === "tool").map((m) => [m.toolCallId, m]));
  // A spoken answer the person talked over is marked on the message itself, not with "Stopped.".
  const spokenOver = new Set(d.messages.filter((m) => m.voice?.interrupted).map((m) => m.turnId));
  const closeTurn = (turnId: string | null) => {
    const t = turnId ? turnRows.get(turnId) : undefined;
    if (t?.status === "cancelled" && spokenOver.has(t.id)) return;
    if (t && (t.status === "failed" || t.status === "cancelled" || t.status === "interrupted"))
      items.push(notice(t.id, t.status, t.error ?? NOTICE_TEXT[t.status], userContent.get(t.id)));
  };
  let currentTurn: string | null = null;
  for (const m of d.messages) {
    if (m.turnId !== currentTurn) {
      closeTurn(currentTurn);
      currentTurn = m.turnId;
    }
    if (m.role === "user") {
      if (m.turnId) userContent.set(m.turnId, m.content);
      items.push({
        kind: "user",
        id: m.id,
        turnId: m.turnId,
        content: m.content,
        complete: true,
        ...(m.source === "voice" ? { voice: true } : {}),
      });
    } else if (m.role === "assistant") {
      if (m.content)
        items.push({
          kind: "assistant",
          id: m.id,
          turnId: m.turnId,
          content: m.content,
          complete: m.complete,
          ...(m.source === "voice" ? { voice: true } : {}),
          ...(m.voice?.interrupted ? { interrupted: true } : {}),
        });
      for (const c of m.toolCalls ?? []) {
        if (!tools[c.id]) {
          // A call the agent refused before running it (malformed arguments): its message says why.
          const reply = toolMessages.get(c.id);
          tools[c.id] = {
            id: c.id,
            tool: c.name,
            arguments: c.arguments,
            status: reply ? "failed" : "running",
            ...(reply ? { error: reply.content.replace(/^Error: /, "") } : {}),
          };
        }
        items.push({ kind: "tool", id: c.id });
      }
    }
  }
  closeTurn(currentTurn);
  const running = d.turns.find((t) => t.status === "running");
  // A turn still streaming: its text in Postgres lags the events, so replay the turn's events from
  // its start (deltas rebuild the text by offset) instead of trusting the snapshot's text.
  const replayFrom = running?.startSeq ? running.startSeq - 1 : undefined;
  return {
    sessionId: d.id,
    title: d.title,
    access: d.access,
    lastSeq: replayFrom ?? d.lastSeq,
    items:
      replayFrom === undefined
        ? items
        : items.map((i) =>
            i.kind === "assistant" && i.turnId === running?.id && !i.complete ? { ...i, content: "" } : i,
          ),
    tools,
    turns: Object.fromEntries(d.turns.map((t) => [t.id, { status: t.status, usage: t.usage }])),
    runningTurnId: running?.id ?? null,
    deleted: false,
  };
}

function upsertText(items: TimelineItem[], item: TextItem): TimelineItem[] {
  return items.some((i) => i.id === item.id) ? items : [...items, item];
}

function endTurn(view: ChatView, turnId: string, state: TurnState, n?: NoticeItem): ChatView {
  const items = n && !view.items.some((i) => i.id === n.id) ? [...view.items, n] : view.items;
  // Cards still running when their turn ended were stopped with it.
  const tools = { ...view.tools };
  for (const item of items)
    if (item.kind === "tool" && tools[item.id]?.status === "running" && state.status !== "completed")
      tools[item.id] = {
        ...tools[item.id]!,
        status: "killed",
        error: tools[item.id]!.error ?? "stopped with the turn",
      };
  return {
    ...view,
    items: items.map((i) => (i.kind === "assistant" && i.turnId === turnId ? { ...i, complete: true } : i)),
    tools,
    turns: { ...view.turns, [turnId]: state },
    runningTurnId: view.runningTurnId === turnId ? null : view.runningTurnId,
  };
}

function userContentOf(view: ChatView, turnId: string): string | undefined {
  const m = view.items.find((i) => i.kind === "user" && i.turnId === turnId);
  return m && m.kind === "user" ? m.content : undefined;
}

export function applyEvent(view: ChatView, e: SessionEvent): ChatView {
  if (e.sessionId !== view.sessionId) return view;
  if (e.type !== "session.resync" && e.seq <= view.lastSeq) return view;
  const next: ChatView = { ...view, lastSeq: Math.max(view.lastSeq, e.seq) };
  switch (e.type) {
    case "turn.started":
      return {
        ...next,
        items: upsertText(next.items, {
          kind: "user",
          id: e.messageId,
          turnId: e.turnId,
          content: e.content,
          complete: true,
          ...(e.source === "voice" ? { voice: true } : {}),
        }),
        turns: {
          ...next.turns,
          [e.turnId]: { status: "running", ...(e.source === "voice" ? { voice: true } : {}) },
        },
        runningTurnId:
          next.turns[e.turnId] && next.turns[e.turnId]!.status !== "running" ? next.runningTurnId : e.turnId,
      };
    case "message.started":
      return {
        ...next,
        items: upsertText(next.items, {
          kind: "assistant",
          id: e.messageId,
          turnId: e.turnId,
          content: "",
          complete: false,
          ...(next.turns[e.turnId]?.voice ? { voice: true } : {}),
        }),
      };
    case "message.delta": {
      const items = upsertText(next.items, {
        kind: "assistant",
        id: e.messageId,
        turnId: e.turnId,
        content: "",
        complete: false,
      });
      return {
        ...next,
        items: items.map((i) =>
          i.id === e.messageId && i.kind === "assistant" && !i.complete && e.offset <= i.content.length
            ? { ...i, content: i.content.slice(0, e.offset) + e.delta }
            : i,
        ),
      };
    }
    case "message.truncated":
      return {
        ...next,
        items: next.items
          .filter((i) => !(i.kind === "notice" && i.turnId === e.turnId && i.status === "cancelled"))
          .map((i) =>
            i.id === e.messageId && i.kind === "assistant"
              ? { ...i, content: e.content, complete: true, voice: true, interrupted: true }
              : i,
          ),
      };
    case "message.completed": {
      const items = upsertText(next.items, {
        kind: "assistant",
        id: e.messageId,
        turnId: e.turnId,
        content: e.content,
        complete: true,
      });
      return {
        ...next,
        items: items.map((i) =>
          i.id === e.messageId && i.kind === "assistant" ? { ...i, content: e.content, complete: true } : i,
        ),
      };
    }
    case "tool.started":
      return {
        ...next,
        items: next.items.some((i) => i.id === e.toolCallId)
          ? next.items
          : [...next.items, { kind: "tool", id: e.toolCallId }],
        tools: next.tools[e.toolCallId]
          ? next.tools
          : {
              ...next.tools,
              [e.toolCallId]: { id: e.toolCallId, tool: e.tool, arguments: e.arguments, status: "running" },
            },
      };
    case "tool.finished":
      return {
        ...next,
        items: next.items.some((i) => i.id === e.toolCallId)
          ? next.items
          : [...next.items, { kind: "tool", id: e.toolCallId }],
        tools: {
          ...next.tools,
          [e.toolCallId]: {
            id: e.toolCallId,
            tool: e.tool,
            arguments: next.tools[e.toolCallId]?.arguments,
            status: e.status,
            ...(e.result === undefined ? {} : { result: e.result }),
            ...(e.error ? { error: e.error } : {}),
            durationMs: e.durationMs,
          },
        },
      };
    case "turn.finished":
      return endTurn(next, e.turnId, { status: "completed", usage: e.usage });
    case "turn.failed":
      return endTurn(
        next,
        e.turnId,
        { status: "failed", usage: e.usage },
        notice(e.turnId, "failed", e.reason, userContentOf(next, e.turnId)),
      );
    case "turn.cancelled":
      return endTurn(
        next,
        e.turnId,
        { status: "cancelled", usage: e.usage },
        notice(e.turnId, "cancelled", NOTICE_TEXT.cancelled),
      );
    case "turn.interrupted":
      return endTurn(
        next,
        e.turnId,
        { status: "interrupted" },
        notice(e.turnId, "interrupted", e.reason, userContentOf(next, e.turnId)),
      );
    case "session.updated":
      return { ...next, title: e.title };
    case "session.deleted":
      return { ...next, deleted: true };
    case "session.resync":
      return next;
  }
}
