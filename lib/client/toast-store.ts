"use client";
// Short messages about things that happened in the background (a voice service failed, the call
// ended elsewhere): shown in one polite live region, each for a few seconds or until dismissed.
import { create } from "zustand";

export type ToastKind = "info" | "warning" | "error";

export interface Toast {
  id: number;
  kind: ToastKind;
  text: string;
}

interface ToastStore {
  toasts: Toast[];
  dismiss: (id: number) => void;
}

let next = 1;
const SHOW_MS = 8_000;

export const useToasts = create<ToastStore>((set) => ({
  toasts: [],
  dismiss: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
}));

export function toast(text: string, kind: ToastKind = "info"): void {
  const id = next++;
  useToasts.setState((s) => ({
    toasts: [...s.toasts.filter((t) => t.text !== text), { id, kind, text }].slice(-4),
  }));
  setTimeout(() => useToasts.getState().dismiss(id), SHOW_MS);
}
