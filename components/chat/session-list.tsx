"use client";
// The sessions, newest activity first: open, new, rename (inline), delete (confirmed).
import { useState } from "react";
import { useChat } from "@/lib/client/chat-store";
import { useSessionList } from "@/lib/client/session-list-store";
import type { SessionSummary } from "@/lib/sessions/schemas";
import styles from "./chat.module.css";

function Row({ s, active, onPick }: { s: SessionSummary; active: boolean; onPick: () => void }) {
  const rename = useChat((st) => st.rename);
  const remove = useChat((st) => st.remove);
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(s.title);
  const [error, setError] = useState<string | null>(null);

  const save = async () => {
    const t = title.trim();
    if (!t || t === s.title) return setEditing(false);
    try {
      await rename(s.id, t);
      setEditing(false);
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const del = async () => {
    if (!window.confirm(`Delete "${s.title}"? This cannot be undone.`)) return;
    await remove(s.id).catch((err: unknown) => setError((err as Error).message));
  };

  return (
    <li className={styles.sessionRow} data-active={active} data-testid="session-row">
      {editing ? (
        <input
          aria-label="Session title"
          className={styles.renameInput}
          value={title}
          autoFocus
          maxLength={200}
          onChange={(e) => setTitle(e.target.value)}
          onBlur={() => void save()}
          onKeyDown={(e) => {
            if (e.key === "Enter") void save();
            if (e.key === "Escape") {
              setTitle(s.title);
              setEditing(false);
            }
          }}
        />
      ) : (
        <button
          type="button"
          className={styles.sessionTitle}
          onClick={onPick}
          aria-current={active ? "page" : undefined}
        >
          {s.title}
        </button>
      )}
      {s.access === "viewer" ? (
        <span className={styles.sharedTag} title="Shared with you (read only)">
          shared
        </span>
      ) : (
        <span className={styles.rowActions}>
          <button
            type="button"
            aria-label={`Rename ${s.title}`}
            title="Rename"
            onClick={() => setEditing(true)}
          >
            <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden>
              <path d="M11.5 2.5l2 2L6 12H4v-2z" fill="none" stroke="currentColor" strokeWidth="1.4" />
            </svg>
          </button>
          <button type="button" aria-label={`Delete ${s.title}`} title="Delete" onClick={() => void del()}>
            <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden>
              <path
                d="M3 4.5h10M6.5 4.5V3h3v1.5M4.5 4.5l.7 8.5h5.6l.7-8.5"
                fill="none"
                stroke="currentColor"
                strokeWidth="1.4"
              />
            </svg>
          </button>
        </span>
      )}
      {error && (
        <p className={styles.rowError} role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

export function SessionList({ onPick }: { onPick: (id: string | null) => void }) {
  const sessions = useSessionList((s) => s.sessions);
  const loading = useSessionList((s) => s.loading);
  const error = useSessionList((s) => s.error);
  const currentId = useChat((s) => s.currentId);
  const newSession = useChat((s) => s.newSession);

  return (
    <nav className={styles.sessions} aria-label="Sessions">
      <button
        type="button"
        className={styles.newChat}
        onClick={() => void newSession().then(() => onPick(useChat.getState().currentId))}
      >
        + New chat
      </button>
      {loading && <p className={styles.muted}>Loading sessions…</p>}
      {error && (
        <p className={styles.rowError} role="alert">
          {error}
        </p>
      )}
      {!loading && sessions.length === 0 && !error && <p className={styles.muted}>No sessions yet.</p>}
      <ul>
        {sessions.map((s) => (
          <Row key={s.id} s={s} active={s.id === currentId} onPick={() => onPick(s.id)} />
        ))}
      </ul>
    </nav>
  );
}
