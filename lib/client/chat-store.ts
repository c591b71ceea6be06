"use client";
// The chat's client state (zustand): the session list, the open conversation, and one socket.io
// connection to /chat that follows the open session. After a reconnect the session is joined again
// from the last sequence number seen, so nothing is missed.
import { create } from "zustand";
import { io, type Socket } from "socket.io-client";
import type { ChatClientEvents, ChatServerEvents } from "../realtime/events";
import type { SessionDetail, SessionSummary } from "../sessions/schemas";
import { api, ApiError } from "./api";
import { applyEvent, fromDetail, type ChatView } from "./timeline";

type ChatSocket = Socket<ChatServerEvents, ChatClientEvents>;

interface ModelStatus {
  configured: boolean;
  provider: string;
  model: string;
  /** The offline demo model answers (scripted): the chat shows a banner. */
  offline: boolean;
  reason?: string;
}

/** GET /api/v1/models, as far as the page uses it. */
export interface ModelsView {
  chat: ModelStatus;
  /** Whether a call can start (speech to text and text to speech usable), and if not why. */
  voice: { usable: boolean; offline: boolean; reason?: string };
}

export interface BudgetLine {
  limit: number;
  used: number;
  remaining: number;
  resetsAt: string;
}
export interface UsageSummary {
  budget: { tokensDaily: BudgetLine | null; tokensMonthly: BudgetLine | null };
}

export interface ChatStore {
  me: { email: string; role: string } | null;
  models: ModelsView | null;
  usage: UsageSummary | null;
  sessions: SessionSummary[];
  sessionsLoading: boolean;
  listError: string | null;
  currentId: string | null;
  view: ChatView | null;
  viewLoading: boolean;
  viewError: string | null;
  sendError: string | null;
  connected: boolean;
  sending: boolean;

  init: () => Promise<"ok" | "signed-out">;
  open: (id: string | null) => Promise<void>;
  newSession: () => Promise<void>;
  rename: (id: string, title: string) => Promise<void>;
  remove: (id: string) => Promise<void>;
  send: (content: string) => Promise<boolean>;
  stop: () => Promise<void>;
  share: (email: string) => Promise<void>;
  refreshUsage: () => Promise<void>;
  /** Reads which model answers again (a provider configured in settings applies to the next turn). */
  refreshModels: () => Promise<void>;
  logout: () => Promise<void>;
}

let socket: ChatSocket | null = null;

function emitAck<T>(event: keyof ChatClientEvents, payload: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    if (!socket) return reject(new ApiError(0, "offline", "Not connected."));
    const timer = setTimeout(
      () => reject(new ApiError(0, "timeout", "The server did not answer in time.")),
      15_000,
    );
    (socket.emit as (e: string, p: unknown, ack: (r: unknown) => void) => void)(event, payload, (reply) => {
      clearTimeout(timer);
      const r = reply as { ok: true; data: T } | { ok: false; error: { code: string; message: string } };
      if (r.ok) resolve(r.data);
      else reject(new ApiError(0, r.error.code, r.error.message));
    });
  });
}

export const useChat = create<ChatStore>()((set, get) => {
  const join = async () => {
    const { view } = get();
    if (!view || !socket?.connected) return;
    await emitAck("session.join", { sessionId: view.sessionId, afterSeq: view.lastSeq }).catch(
      (err: unknown) => set({ viewError: err instanceof Error ? err.message : String(err) }),
    );
  };

  const connect = () => {
    if (socket) return;
    socket = io("/chat", { withCredentials: true, transports: ["websocket", "polling"] });
    socket.on("connect", () => {
      set({ connected: true });
      void join();
    });
    socket.on("disconnect", () => set({ connected: false }));
    // Signed out elsewhere, or the token revoked: this page's sign-in is over.
    socket.on("auth.revoked", () => window.location.assign("/login"));
    // Unshared while open: say so where the conversation was, and drop it from the list.
    socket.on("session.revoked", ({ sessionId, reason }) => {
      set({ sessions: get().sessions.filter((s) => s.id !== sessionId) });
      if (get().view?.sessionId === sessionId) set({ view: null, viewError: reason });
    });
    socket.on("event", (e) => {
      const { view } = get();
      if (!view || e.sessionId !== view.sessionId) return;
      const next = applyEvent(view, e);
      set({ view: next });
      if (e.type === "session.updated")
        set({ sessions: get().sessions.map((s) => (s.id === e.sessionId ? { ...s, title: e.title } : s)) });
      if (e.type === "session.resync") void get().open(view.sessionId);
      if (e.type === "turn.finished" || e.type === "turn.failed" || e.type === "turn.cancelled")
        void get().refreshUsage();
      if (e.type === "turn.started" || e.type === "turn.finished" || e.type === "turn.failed")
        void get().refreshModels();
    });
  };

  return {
    me: null,
    models: null,
    usage: null,
    sessions: [],
    sessionsLoading: true,
    listError: null,
    currentId: null,
    view: null,
    viewLoading: false,
    viewError: null,
    sendError: null,
    connected: false,
    sending: false,

    async init() {
      try {
        const { user } = await api<{ user: { email: string; role: string } | null }>("/api/auth/session");
        if (!user) return "signed-out";
        set({ me: user });
      } catch (err) {
        set({ listError: (err as Error).message, sessionsLoading: false });
        return "ok";
      }
      connect();
      void get().refreshUsage();
      const [list, models] = await Promise.allSettled([
        api<{ items: SessionSummary[] }>("/api/v1/sessions?limit=100"),
        api<ModelsView>("/api/v1/models"),
      ]);
      set({
        sessions: list.status === "fulfilled" ? list.value.items : [],
        listError: list.status === "rejected" ? (list.reason as Error).message : null,
        models: models.status === "fulfilled" ? models.value : null,
        sessionsLoading: false,
      });
      return "ok";
    },

    async open(id) {
      const previous = get().view?.sessionId;
      if (previous && previous !== id && socket?.connected)
        void emitAck("session.leave", { sessionId: previous }).catch(() => undefined);
      set({ currentId: id, view: null, viewError: null, sendError: null, viewLoading: Boolean(id) });
      if (!id) return;
      try {
        const detail = await api<SessionDetail>(`/api/v1/sessions/${id}`);
        if (get().currentId !== id) return;
        set({ view: fromDetail(detail), viewLoading: false });
        await join();
      } catch (err) {
        if (get().currentId === id) set({ viewError: (err as Error).message, viewLoading: false });
      }
    },

    async newSession() {
      try {
        const s = await api<SessionSummary>("/api/v1/sessions", { method: "POST", json: {} });
        set({ sessions: [s, ...get().sessions] });
        await get().open(s.id);
      } catch (err) {
        set({ listError: (err as Error).message });
      }
    },

    async rename(id, title) {
      const s = await api<SessionSummary>(`/api/v1/sessions/${id}`, { method: "PATCH", json: { title } });
      set({
        sessions: get().sessions.map((x) => (x.id === id ? s : x)),
        ...(get().view?.sessionId === id ? { view: { ...get().view!, title: s.title } } : {}),
      });
    },

    async remove(id) {
      await api(`/api/v1/sessions/${id}`, { method: "DELETE" });
      set({ sessions: get().sessions.filter((x) => x.id !== id) });
      if (get().currentId === id) await get().open(null);
    },

    async send(content) {
      let { view } = get();
      set({ sendError: null, sending: true });
      try {
        if (!view) {
          await get().newSession();
          view = get().view;
          if (!view) return false;
        }
        await emitAck("message.send", { sessionId: view.sessionId, content });
        const id = view.sessionId;
        // The session moves to the top of the list (newest activity first).
        const s = get().sessions.find((x) => x.id === id);
        if (s)
          set({
            sessions: [
              { ...s, updatedAt: new Date().toISOString() },
              ...get().sessions.filter((x) => x.id !== id),
            ],
          });
        return true;
      } catch (err) {
        set({ sendError: (err as Error).message });
        if (err instanceof ApiError && err.code === "budget_exceeded") void get().refreshUsage();
        return false;
      } finally {
        set({ sending: false });
      }
    },

    async stop() {
      const { view } = get();
      if (!view?.runningTurnId) return;
      await emitAck("turn.cancel", { sessionId: view.sessionId, turnId: view.runningTurnId }).catch(
        (err: unknown) => set({ sendError: (err as Error).message }),
      );
    },

    async share(email) {
      const { view } = get();
      if (!view) return;
      await api(`/api/v1/sessions/${view.sessionId}/share`, { method: "POST", json: { email } });
    },

    async refreshUsage() {
      // The budget line is a hint: when usage cannot be read it is simply not shown.
      const usage = await api<UsageSummary>("/api/v1/usage").catch(() => null);
      set({ usage });
    },

    async refreshModels() {
      // Keeps the last known status when the read fails (the next turn event tries again).
      const models = await api<ModelsView>("/api/v1/models").catch(() => null);
      if (models) set({ models });
    },

    async logout() {
      await api("/api/auth/logout", { method: "POST" }).catch(() => undefined);
      socket?.disconnect();
      socket = null;
      window.location.assign("/login");
    },
  };
});
