"use client";
// A schedule's runs, newest first: when each was due, how it went, and a link to the session it
// posted into (the answer is there).
import { useCallback, useEffect, useState } from "react";
import { api } from "@/lib/client/api";
import type { ScheduleRunView } from "@/lib/schedules/schemas";
import chat from "../chat/chat.module.css";
import styles from "./schedules.module.css";

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "—");

export function RunHistory(props: {
  scheduleId: string;
  name: string;
  refresh: number;
  onClose: () => void;
}) {
  const [runs, setRuns] = useState<ScheduleRunView[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setRuns((await api<{ items: ScheduleRunView[] }>(`/api/v1/schedules/${props.scheduleId}/runs`)).items);
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
  }, [props.scheduleId]);

  useEffect(() => {
    void load();
    // Runs move from queued to running to done within seconds: follow them while the list is open.
    const timer = setInterval(() => void load(), 2_000);
    return () => clearInterval(timer);
  }, [load, props.refresh]);

  return (
    <section aria-label={`Runs of ${props.name}`} data-testid="run-history">
      <h2>
        Runs of {props.name}{" "}
        <button type="button" className={chat.headerButton} onClick={props.onClose}>
          Close
        </button>
      </h2>
      {error && <p role="alert">{error}</p>}
      {!runs && !error && <p role="status">Loading…</p>}
      {runs && runs.length === 0 && <p className={chat.muted}>No runs yet.</p>}
      {runs && runs.length > 0 && (
        <div className={styles.tableWrap}>
          <table className={chat.table}>
            <thead>
              <tr>
                <th>Due</th>
                <th>Status</th>
                <th>Finished</th>
                <th>Session</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id} data-testid="run-row">
                  <td>
                    {when(r.dueAt)}
                    {r.manual ? " (run now)" : ""}
                  </td>
                  <td className={r.status === "failed" ? styles.failed : undefined}>
                    {r.status}
                    {r.error ? `: ${r.error}` : ""}
                  </td>
                  <td>{when(r.finishedAt)}</td>
                  <td>{r.sessionId ? <a href={`/?s=${r.sessionId}`}>Open session</a> : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
