"use client";
// Create or edit a schedule: a name, the prompt, repeating (a cron expression in a time zone, with its
// meaning in words as it is typed) or once (a local date and time), and the session to post into.
import { useEffect, useState, type FormEvent } from "react";
import { api, ApiError } from "@/lib/client/api";
import { describeCron } from "@/lib/schedules/describe-cron";
import type { ScheduleView } from "@/lib/schedules/schemas";
import chat from "../chat/chat.module.css";
import styles from "./schedules.module.css";

type SessionOption = { id: string; title: string };

function fieldErrors(err: unknown): Record<string, string> {
  if (!(err instanceof ApiError) || !Array.isArray(err.details)) return {};
  return Object.fromEntries(
    (err.details as { field?: string; message?: string }[]).map((d) => [d.field ?? "", d.message ?? ""]),
  );
}

/** "2026-12-03T09:00" in the browser's zone, for a datetime-local input. */
function localInput(iso: string | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function ScheduleForm(props: {
  editing: ScheduleView | null;
  onSaved: (s: ScheduleView) => void;
  onCancel: () => void;
}) {
  const { editing } = props;
  const [name, setName] = useState(editing?.name ?? "");
  const [prompt, setPrompt] = useState(editing?.prompt ?? "");
  const [once, setOnce] = useState(Boolean(editing && !editing.cron));
  const [cron, setCron] = useState(editing?.cron ?? "0 9 * * 1-5");
  const [timezone, setTimezone] = useState(editing?.timezone ?? "UTC");
  const [runAt, setRunAt] = useState(localInput(editing?.runAt ?? null));
  const [sessionId, setSessionId] = useState(editing?.sessionId ?? "");
  const [enabled, setEnabled] = useState(editing?.enabled ?? true);
  const [sessions, setSessions] = useState<SessionOption[]>([]);
  const [error, setError] = useState<{ message: string; fields: Record<string, string> } | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    // The browser's zone only after hydration (the server cannot know it).
    if (!editing) setTimezone(Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");
    api<{ items: (SessionOption & { access: string })[] }>("/api/v1/sessions?limit=100")
      .then((r) => setSessions(r.items.filter((s) => s.access === "owner")))
      .catch((err: unknown) => setError({ message: (err as Error).message, fields: {} }));
  }, [editing]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body = {
      name: name.trim(),
      prompt: prompt.trim(),
      timezone,
      enabled,
      sessionId: sessionId || null,
      ...(once
        ? { cron: null, runAt: runAt ? new Date(runAt).toISOString() : null }
        : { cron: cron.trim(), runAt: null }),
    };
    try {
      const saved = editing
        ? await api<ScheduleView>(`/api/v1/schedules/${editing.id}`, { method: "PATCH", json: body })
        : await api<ScheduleView>("/api/v1/schedules", { method: "POST", json: body });
      props.onSaved(saved);
    } catch (err) {
      setError({ message: (err as Error).message, fields: fieldErrors(err) });
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (f: string) =>
    error?.fields[f] ? (
      <span className={chat.fieldError} role="alert">
        {error.fields[f]}
      </span>
    ) : null;

  return (
    <form
      className={styles.form}
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-label={editing ? "Edit schedule" : "New schedule"}
    >
      <label>
        Name
        <input value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />
        {fieldError("name")}
      </label>
      <label>
        Prompt
        <textarea
          value={prompt}
          placeholder="e.g. Summarise what changed in the project since yesterday."
          onChange={(e) => setPrompt(e.target.value)}
        />
        {fieldError("prompt")}
      </label>
      <div className={styles.row}>
        <label>
          Runs
          <select value={once ? "once" : "cron"} onChange={(e) => setOnce(e.target.value === "once")}>
            <option value="cron">Repeatedly (cron)</option>
            <option value="once">Once</option>
          </select>
        </label>
        {once ? (
          <label>
            At
            <input type="datetime-local" value={runAt} onChange={(e) => setRunAt(e.target.value)} />
            {fieldError("runAt")}
          </label>
        ) : (
          <>
            <label>
              Cron expression
              <input
                value={cron}
                placeholder="minute hour day month weekday"
                onChange={(e) => setCron(e.target.value)}
              />
              {fieldError("cron")}
            </label>
            <label>
              Time zone
              <input value={timezone} onChange={(e) => setTimezone(e.target.value)} />
              {fieldError("timezone")}
            </label>
          </>
        )}
      </div>
      {!once && (
        <p className={styles.preview} data-testid="cron-preview">
          {describeCron(cron, timezone)}
        </p>
      )}
      <div className={styles.row}>
        <label>
          Session
          <select value={sessionId} onChange={(e) => setSessionId(e.target.value)}>
            <option value="">A new session for each run</option>
            {sessions.map((s) => (
              <option key={s.id} value={s.id}>
                {s.title}
              </option>
            ))}
          </select>
          {fieldError("sessionId")}
        </label>
        <label className={styles.check}>
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
          Enabled
        </label>
      </div>
      {error && Object.keys(error.fields).length === 0 && (
        <p className={chat.sendError} role="alert">
          {error.message}
        </p>
      )}
      <div className={styles.actions}>
        <button type="submit" className={chat.send} disabled={busy || !name.trim() || !prompt.trim()}>
          {busy ? "Saving…" : editing ? "Save schedule" : "Create schedule"}
        </button>
        <button type="button" className={chat.headerButton} onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
