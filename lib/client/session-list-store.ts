"use client";
// The list of the person's sessions in the sidebar: loaded once, then kept in step with what the
// page does (new, renamed, deleted, the newest activity first) and with what the server says
// (a title set by the first turn, a session unshared).
import { create } from "zustand";
import type { SessionSummary } from "../sessions/schemas";
import { api } from "./api";

export interface SessionListStore {
  sessions: SessionSummary[];
  loading: boolean;
  error: string | null;
  load: () => Promise<void>;
  /** A new session, first in the list. */
  add: (s: SessionSummary) => void;
  rename: (id: string, title: string) => Promise<SessionSummary>;
  remove: (id: string) => Promise<void>;
  /** The server renamed it (the first turn's title). */
  retitle: (id: string, title: string) => void;
  /** Gone from view (deleted elsewhere, or unshared). */
  drop: (id: string) => void;
  /** Activity now: it moves to the top. */
  touch: (id: string) => void;
  fail: (message: string) => void;
}

export const useSessionList = create<SessionListStore>()((set, get) => ({
  sessions: [],
  loading: true,
  error: null,

  async load() {
    try {
      const list = await api<{ items: SessionSummary[] }>("/api/v1/sessions?limit=100");
      set({ sessions: list.items, error: null, loading: false });
    } catch (err) {
      set({ sessions: [], error: (err as Error).message, loading: false });
    }
  },

  add: (s) => set({ sessions: [s, ...get().sessions] }),

  async rename(id, title) {
    const s = await api<SessionSummary>(`/api/v1/sessions/${id}`, { method: "PATCH", json: { title } });
    set({ sessions: get().sessions.map((x) => (x.id === id ? s : x)) });
    return s;
  },

  async remove(id) {
    await api(`/api/v1/sessions/${id}`, { method: "DELETE" });
    get().drop(id);
  },

  retitle: (id, title) => set({ sessions: get().sessions.map((s) => (s.id === id ? { ...s, title } : s)) }),
  drop: (id) => set({ sessions: get().sessions.filter((s) => s.id !== id) }),

  touch(id) {
    const s = get().sessions.find((x) => x.id === id);
    if (s)
      set({
        sessions: [
          { ...s, updatedAt: new Date().toISOString() },
          ...get().sessions.filter((x) => x.id !== id),
        ],
      });
  },

  fail: (message) => set({ error: message, loading: false }),
}));
