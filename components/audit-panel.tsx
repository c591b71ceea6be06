"use client";
// The tenant's audit log for its admins: newest first, filtered by action and outcome, more on
// demand, and the whole filtered log as an NDJSON download.
import { useCallback, useEffect, useState } from "react";
import { api } from "@/lib/client/api";
import { loadFailure } from "@/lib/client/use-api-resource";
import type { AuditRowView } from "@/lib/audit/query";
import styles from "./chat/chat.module.css";

const OUTCOMES = ["", "success", "denied", "failure"] as const;

export function AuditPanel() {
  const [action, setAction] = useState("");
  const [outcome, setOutcome] = useState<(typeof OUTCOMES)[number]>("");
  const [rows, setRows] = useState<AuditRowView[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const query = useCallback(
    (extra: Record<string, string> = {}) =>
      new URLSearchParams({
        ...(action.trim() ? { action: action.trim() } : {}),
        ...(outcome ? { outcome } : {}),
        ...extra,
      }).toString(),
    [action, outcome],
  );

  const load = useCallback(
    async (after?: string) => {
      setLoading(true);
      setError(null);
      try {
        const page = await api<{ items: AuditRowView[]; nextCursor: string | null }>(
          `/api/v1/audit?${query({ limit: "50", ...(after ? { cursor: after } : {}) })}`,
        );
        setRows((r) => (after && r ? [...r, ...page.items] : page.items));
        setCursor(page.nextCursor);
      } catch (err) {
        setError(loadFailure(err));
      } finally {
        setLoading(false);
      }
    },
    [query],
  );
  useEffect(() => {
    void load();
    // Filters apply when the form is submitted, not on every keystroke.
  }, []);

  return (
    <main className={styles.page}>
      <p>
        <a href="/">← Back to chat</a>
      </p>
      <h1>Audit log</h1>
      <form
        className={styles.tokenForm}
        onSubmit={(e) => {
          e.preventDefault();
          void load();
        }}
      >
        <label>
          Action
          <input
            value={action}
            placeholder="e.g. session.share"
            onChange={(e) => setAction(e.target.value)}
          />
        </label>
        <label>
          Outcome
          <select value={outcome} onChange={(e) => setOutcome(e.target.value as (typeof OUTCOMES)[number])}>
            {OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {o || "any"}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className={styles.send} disabled={loading}>
          Filter
        </button>
        <a href={`/api/v1/audit?${query({ format: "ndjson" })}`} download>
          Export NDJSON
        </a>
      </form>
      {error && <p role="alert">{error}</p>}
      {!rows && !error && <p role="status">Loading…</p>}
      {rows && rows.length === 0 && <p className={styles.muted}>Nothing recorded that matches.</p>}
      {rows && rows.length > 0 && (
        <table className={styles.table}>
          <thead>
            <tr>
              <th>When</th>
              <th>Action</th>
              <th>Outcome</th>
              <th>Who</th>
              <th>Resource</th>
              <th>From</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr
                key={r.id}
                data-testid="audit-row"
                title={r.details ? JSON.stringify(r.details) : undefined}
              >
                <td>{new Date(r.createdAt).toLocaleString()}</td>
                <td>{r.action}</td>
                <td>{r.outcome}</td>
                <td>{r.actorId ? `${r.actorType} ${r.actorId.slice(0, 8)}` : r.actorType}</td>
                <td>{r.resource ?? "—"}</td>
                <td>{r.ip ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <p>
          <button
            type="button"
            className={styles.headerButton}
            disabled={loading}
            onClick={() => void load(cursor)}
          >
            {loading ? "Loading…" : "Load more"}
          </button>
        </p>
      )}
    </main>
  );
}
