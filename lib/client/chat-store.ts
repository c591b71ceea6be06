"use client";
// The open conversation and the one socket.io connection to /chat that follows it. After a
// reconnect the session is joined again from the last sequence number seen, so nothing is missed.
// The sidebar's list (./session-list-store.ts) and the account (./account-store.ts) are their own
// stores; this one tells them what the conversation changed.
import { create } from "zustand";
import { io, type Socket } from "socket.io-client";
import type { ChatClientEvents, ChatServerEvents } from "../realtime/events";
import type { SessionDetail, SessionSummary } from "../sessions/schemas";
import { api, ApiError } from "./api";
import { useAccount } from "./account-store";
import { useSessionList } from "./session-list-store";
import { applyEvent, fromDetail, type ChatView } from "./timeline";
import { reconnectOnDrain } from "./reconnect-on-drain";
import { sendMessage } from "./send-message";

type ChatSocket = Socket<ChatServerEvents, ChatClientEvents>;

export interface ChatStore {
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
    // Its gateway is shutting down: reconnect (to another one) and join again from lastSeq.
    reconnectOnDrain(socket);
    // Signed out elsewhere, or the token revoked: this page's sign-in is over.
    socket.on("auth.revoked", () => window.location.assign("/login"));
    // Unshared while open: say so where the conversation was, and drop it from the list.
    socket.on("session.revoked", ({ sessionId, reason }) => {
      useSessionList.getState().drop(sessionId);
      if (get().view?.sessionId === sessionId) set({ view: null, viewError: reason });
    });
    socket.on("event", (e) => {
      const { view } = get();
      if (!view || e.sessionId !== view.sessionId) return;
      const next = applyEvent(view, e);
      set({ view: next });
      if (e.type === "session.updated") useSessionList.getState().retitle(e.sessionId, e.title);
      if (e.type === "session.resync") void get().open(view.sessionId);
      if (e.type === "turn.finished" || e.type === "turn.failed" || e.type === "turn.cancelled")
        void useAccount.getState().refreshUsage();
      if (e.type === "turn.started" || e.type === "turn.finished" || e.type === "turn.failed")
        void useAccount.getState().refreshModels();
    });
  };

  return {
    currentId: null,
    view: null,
    viewLoading: false,
    viewError: null,
    sendError: null,
    connected: false,
    sending: false,

    async init() {
      const account = useAccount.getState();
      try {
        if ((await account.load()) === "signed-out") return "signed-out";
      } catch (err) {
        useSessionList.getState().fail((err as Error).message);
        return "ok";
      }
      connect();
      void account.refreshUsage();
      await useSessionList.getState().load();
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
        useSessionList.getState().add(s);
        await get().open(s.id);
      } catch (err) {
        useSessionList.getState().fail((err as Error).message);
      }
    },

    async rename(id, title) {
      const s = await useSessionList.getState().rename(id, title);
      const { view } = get();
      if (view?.sessionId === id) set({ view: { ...view, title: s.title } });
    },

    async remove(id) {
      await useSessionList.getState().remove(id);
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
        if (!socket) throw new ApiError(0, "offline", "Not connected.");
        // Sent again by the same name if the gateway drains or the connection drops meanwhile.
        await sendMessage(socket as unknown as Socket, { sessionId: view.sessionId, content });
        // The session moves to the top of the list (newest activity first).
        useSessionList.getState().touch(view.sessionId);
        return true;
      } catch (err) {
        set({ sendError: (err as Error).message });
        if (err instanceof ApiError && err.code === "budget_exceeded")
          void useAccount.getState().refreshUsage();
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

    async logout() {
      await api("/api/auth/logout", { method: "POST" }).catch(() => undefined);
      socket?.disconnect();
      socket = null;
      window.location.assign("/login");
    },
  };
});
