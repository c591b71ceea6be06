"use client";
// Schedules: each with when it runs next and how its last run went, an enable switch, edit, run now,
// delete and its run history.
import { useState } from "react";
import { api } from "@/lib/client/api";
import { useApiResource } from "@/lib/client/use-api-resource";
import type { ScheduleView } from "@/lib/schedules/schemas";
import chat from "../chat/chat.module.css";
import { RunHistory } from "./run-history";
import { ScheduleForm } from "./schedule-form";
import styles from "./schedules.module.css";

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "—");

export function SchedulesPanel() {
  const {
    data,
    error: loadError,
    reload: load,
  } = useApiResource<{ items: ScheduleView[] }>("/api/v1/schedules");
  const schedules = data?.items ?? null;
  const [actionError, setError] = useState<string | null>(null);
  const error = actionError ?? loadError;
  const [form, setForm] = useState<{ editing: ScheduleView | null } | null>(null);
  const [history, setHistory] = useState<ScheduleView | null>(null);
  const [refresh, setRefresh] = useState(0);

  const act = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      await load();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  const toggle = (s: ScheduleView) =>
    act(() => api(`/api/v1/schedules/${s.id}`, { method: "PATCH", json: { enabled: !s.enabled } }));
  const runNow = (s: ScheduleView) =>
    act(async () => {
      await api(`/api/v1/schedules/${s.id}/run`, { method: "POST" });
      setHistory(s);
      setRefresh((n) => n + 1);
    });
  const remove = (s: ScheduleView) => {
    if (!window.confirm(`Delete "${s.name}" and its run history?`)) return;
    void act(async () => {
      await api(`/api/v1/schedules/${s.id}`, { method: "DELETE" });
      if (history?.id === s.id) setHistory(null);
    });
  };

  return (
    <main className={chat.page}>
      <p>
        <a href="/">← Back to chat</a>
      </p>
      <h1>Schedules</h1>
      <p className={chat.muted}>
        A schedule sends its prompt to the agent as you, on a timetable or once, and the answer lands in a
        session. Times are read in the schedule&apos;s time zone.
      </p>
      {!form && (
        <button type="button" className={chat.send} onClick={() => setForm({ editing: null })}>
          New schedule
        </button>
      )}
      {form && (
        <ScheduleForm
          key={form.editing?.id ?? "new"}
          editing={form.editing}
          onCancel={() => setForm(null)}
          onSaved={() => {
            setForm(null);
            void load();
          }}
        />
      )}

      {error && (
        <p className={chat.sendError} role="alert">
          {error}
        </p>
      )}
      {!schedules && !error && <p role="status">Loading…</p>}
      {schedules && schedules.length === 0 && <p className={chat.muted}>No schedules yet.</p>}
      {schedules && schedules.length > 0 && (
        <div className={styles.tableWrap}>
          <table className={chat.table}>
            <thead>
              <tr>
                <th>Name</th>
                <th>When</th>
                <th>Next run</th>
                <th>Last run</th>
                <th>Enabled</th>
                <th>
                  <span className={chat.visuallyHidden}>Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {schedules.map((s) => (
                <tr key={s.id} data-testid="schedule-row">
                  <td>{s.name}</td>
                  <td>{s.description}</td>
                  <td>{when(s.nextRunAt)}</td>
                  <td className={s.lastRun?.status === "failed" ? styles.failed : undefined}>
                    {s.lastRun ? `${s.lastRun.status}, ${when(s.lastRun.dueAt)}` : "—"}
                  </td>
                  <td>
                    <input
                      type="checkbox"
                      role="switch"
                      aria-label={`Enable ${s.name}`}
                      checked={s.enabled}
                      onChange={() => void toggle(s)}
                    />
                  </td>
                  <td className={styles.actions}>
                    <button type="button" className={chat.headerButton} onClick={() => void runNow(s)}>
                      Run now
                    </button>
                    <button
                      type="button"
                      className={chat.headerButton}
                      onClick={() => setForm({ editing: s })}
                    >
                      Edit
                    </button>
                    <button type="button" className={chat.headerButton} onClick={() => setHistory(s)}>
                      History
                    </button>
                    <button type="button" className={chat.headerButton} onClick={() => remove(s)}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {history && (
        <RunHistory
          scheduleId={history.id}
          name={history.name}
          refresh={refresh}
          onClose={() => setHistory(null)}
        />
      )}
    </main>
  );
}
