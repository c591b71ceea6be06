"use client";
// The settings panel's state: the server's view, the unsaved draft, field errors, and save. Only
// changed fields are sent; the server's field errors land next to their fields.
import { useCallback, useEffect, useMemo, useState } from "react";
import { FIELD_BY_KEY } from "../settings/fields";
import { api, ApiError } from "./api";
import { loadFailure } from "./use-api-resource";
import type { FieldState, SettingsView } from "../settings/view";

export type { FieldState, ProviderInfo, SettingsView } from "../settings/view";

/** A field value as the text an input shows. */
export function asText(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

/** Client-side checks that mirror the server's, so mistakes show before saving. */
export function checkField(key: string, value: unknown, state?: FieldState): string | null {
  const spec = FIELD_BY_KEY.get(key);
  if (!spec) return null;
  if (spec.kind === "number") {
    if (typeof value !== "number" || Number.isNaN(value)) return "Enter a number.";
    if (state?.min !== undefined && value < state.min) return `At least ${state.min}.`;
    if (state?.max !== undefined && value > state.max) return `At most ${state.max}.`;
  }
  if (spec.kind === "url") {
    try {
      const u = new URL(asText(value));
      if (u.protocol !== "http:" && u.protocol !== "https:") return "Use an http:// or https:// address.";
    } catch {
      return "Enter a full address, e.g. https://api.openai.com/v1.";
    }
  }
  if (spec.kind === "json") {
    try {
      const v: unknown = JSON.parse(asText(value));
      if (!v || typeof v !== "object" || Array.isArray(v))
        return 'Must be a JSON object, e.g. {"top_p":0.9}.';
    } catch {
      return 'Must be a JSON object, e.g. {"top_p":0.9}.';
    }
  }
  if (spec.kind === "text" && key.endsWith(".apiKeyEnv") && !/^[A-Z_][A-Z0-9_]*$/.test(asText(value)))
    return "An environment variable name, e.g. OPENAI_API_KEY.";
  if (
    (spec.kind === "text" || spec.kind === "voice") &&
    !key.endsWith(".language") &&
    asText(value).trim() === ""
  )
    return "Required.";
  return null;
}

/**
 * Whether a value equal to the one shown is still a choice worth saving: the offline fallback's values
 * are nobody's choice, and a new provider drops the old one's address, key variable and model unless
 * they are sent along.
 */
function choosesProvider(key: string, draft: Record<string, unknown>, view: SettingsView | null): boolean {
  if (view?.fields[key]?.source === "offline") return true;
  const group = key.slice(0, key.lastIndexOf("."));
  return /\.(baseUrl|apiKeyEnv|name|model)$/.test(key) && `${group}.provider` in draft;
}

function nest(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split(".");
    let node = out;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
    node[parts.at(-1)!] = value;
  }
  return out;
}

export function useSettings() {
  const [view, setView] = useState<SettingsView | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [draft, setDraft] = useState<Record<string, unknown>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);
  const [saveResult, setSaveResult] = useState<{ ok: boolean; message: string } | null>(null);

  const load = useCallback(async () => {
    try {
      setView(await api<SettingsView>("/api/v1/settings"));
      setLoadError(null);
    } catch (err) {
      setLoadError(loadFailure(err));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const value = useCallback(
    (key: string): unknown => (key in draft ? draft[key] : view?.fields[key]?.value),
    [draft, view],
  );

  const set = useCallback(
    (key: string, v: unknown) => {
      setSaveResult(null);
      setDraft((d) => {
        const next = { ...d };
        const saved = view?.fields[key]?.value;
        const secret = FIELD_BY_KEY.get(key)?.kind === "secret";
        if (!secret && JSON.stringify(saved) === JSON.stringify(v) && !choosesProvider(key, d, view))
          delete next[key];
        else if (secret && v === "") delete next[key];
        else next[key] = v;
        return next;
      });
      setErrors((e) => {
        const next = { ...e };
        const problem =
          FIELD_BY_KEY.get(key)?.kind === "secret" ? null : checkField(key, v, view?.fields[key]);
        if (problem) next[key] = problem;
        else delete next[key];
        return next;
      });
    },
    [view],
  );

  const dirty = Object.keys(draft).length > 0;
  const invalid = Object.keys(errors).length > 0;

  const save = useCallback(async () => {
    if (!dirty || invalid) return;
    setSaving(true);
    setSaveResult(null);
    try {
      const next = await api<SettingsView>("/api/v1/settings", { method: "PUT", json: nest(draft) });
      setView(next);
      setDraft({});
      setErrors({});
      setSaveResult({ ok: true, message: "Saved. The change is in effect now." });
    } catch (err) {
      const details =
        err instanceof ApiError && Array.isArray(err.details)
          ? (err.details as { field?: string; message?: string }[])
          : [];
      const byField: Record<string, string> = {};
      for (const d of details) if (d.field && d.message) byField[d.field] = d.message;
      setErrors((e) => ({ ...e, ...byField }));
      setSaveResult({ ok: false, message: (err as Error).message });
    } finally {
      setSaving(false);
    }
  }, [dirty, invalid, draft]);

  const discard = useCallback(() => {
    setDraft({});
    setErrors({});
    setSaveResult(null);
  }, []);

  // Leaving with unsaved changes asks first.
  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  return useMemo(
    () => ({
      view,
      loadError,
      draft,
      errors,
      value,
      set,
      dirty,
      invalid,
      saving,
      saveResult,
      save,
      discard,
      reload: load,
    }),
    [view, loadError, draft, errors, value, set, dirty, invalid, saving, saveResult, save, discard, load],
  );
}
export type SettingsState = ReturnType<typeof useSettings>;
