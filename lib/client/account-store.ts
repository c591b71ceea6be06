"use client";
// Who is signed in, which model answers (and whether voice can), and the budget line: the account
// part of the chat page, read from the API and refreshed after turns.
import { create } from "zustand";
import { api } from "./api";

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

export interface AccountStore {
  me: { email: string; role: string } | null;
  models: ModelsView | null;
  usage: UsageSummary | null;
  /** Who is signed in ("signed-out": nobody); throws when the server cannot say. */
  load: () => Promise<"ok" | "signed-out">;
  refreshUsage: () => Promise<void>;
  /** Reads which model answers again (a provider configured in settings applies to the next turn). */
  refreshModels: () => Promise<void>;
}

export const useAccount = create<AccountStore>()((set) => ({
  me: null,
  models: null,
  usage: null,

  async load() {
    const { user } = await api<{ user: { email: string; role: string } | null }>("/api/auth/session");
    if (!user) return "signed-out";
    set({ me: user });
    const models = await api<ModelsView>("/api/v1/models").catch(() => null);
    set({ models });
    return "ok";
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
}));
