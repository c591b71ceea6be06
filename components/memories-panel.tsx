"use client";
// Memories: what the agent remembers for you (and what your organisation shares). Search by words
// or meaning, edit, delete, and follow "saved from" back to the conversation it came from.
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { api } from "@/lib/client/api";
import { loadFailure } from "@/lib/client/use-api-resource";
import type { MemoryPage, MemoryView } from "@/lib/memories/schemas";
import styles from "./chat/chat.module.css";
import own from "./memories.module.css";

const when = (iso: string) => new Date(iso).toLocaleString();

function MemoryItem({
  memory,
  onSaved,
  onDeleted,
  onError,
}: {
  memory: MemoryView;
  onSaved: (m: MemoryView) => void;
  onDeleted: (id: string) => void;
  onError: (message: string) => void;
}) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(memory.content);
  const [busy, setBusy] = useState(false);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      onSaved(
        await api<MemoryView>(`/api/v1/memories/${memory.id}`, { method: "PATCH", json: { content: text } }),
      );
      setEditing(false);
    } catch (err) {
      onError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    if (!window.confirm("Delete this memory? The agent will no longer recall it.")) return;
    try {
      await api(`/api/v1/memories/${memory.id}`, { method: "DELETE" });
      onDeleted(memory.id);
    } catch (err) {
      onError((err as Error).message);
    }
  };

  const from = memory.savedFrom;
  return (
    <li className={own.item} data-testid="memory">
      {editing ? (
        <form onSubmit={(e) => void save(e)}>
          <label className={styles.visuallyHidden} htmlFor={`edit-${memory.id}`}>
            Memory
          </label>
          <textarea
            id={`edit-${memory.id}`}
            className={own.editor}
            value={text}
            maxLength={20_000}
            onChange={(e) => setText(e.target.value)}
          />
          <button type="submit" className={styles.headerButton} disabled={busy || !text.trim()}>
            {busy ? "Saving…" : "Save"}
          </button>{" "}
          <button
            type="button"
            className={styles.headerButton}
            onClick={() => {
              setText(memory.content);
              setEditing(false);
            }}
          >
            Cancel
          </button>
        </form>
      ) : (
        <p className={own.content} data-testid="memory-content">
          {memory.content}
        </p>
      )}
      <div className={own.meta}>
        <span>{memory.scope === "tenant" ? "Shared with your organisation" : "Only you"}</span>
        <span>{memory.area}</span>
        <span>{when(memory.createdAt)}</span>
        {memory.score !== undefined && (
          <span title="How well it matches">match {memory.score.toFixed(2)}</span>
        )}
        {from && (
          <a
            href={`/?s=${from.sessionId}${from.messageId ? `#m-${from.messageId}` : ""}`}
            data-testid="saved-from"
          >
            Saved from a conversation
          </a>
        )}
        {memory.canEdit && !editing && (
          <span className={own.actions}>
            <button type="button" className={styles.headerButton} onClick={() => setEditing(true)}>
              Edit
            </button>
            <button type="button" className={styles.headerButton} onClick={() => void remove()}>
              Delete
            </button>
          </span>
        )}
      </div>
    </li>
  );
}

export function MemoriesPanel() {
  const [query, setQuery] = useState("");
  /** The query the shown page answers (the box may have changed since). */
  const [searched, setSearched] = useState("");
  const [page, setPage] = useState<MemoryPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const load = useCallback(async (q: string, cursor?: string) => {
    setLoading(true);
    try {
      const params = new URLSearchParams({ ...(q ? { query: q } : {}), ...(cursor ? { cursor } : {}) });
      const next = await api<MemoryPage>(`/api/v1/memories?${params.toString()}`);
      setPage((prev) => (cursor && prev ? { ...next, items: [...prev.items, ...next.items] } : next));
      setError(null);
    } catch (err) {
      setError(loadFailure(err));
    } finally {
      setLoading(false);
    }
  }, []);
  useEffect(() => {
    void load("");
  }, [load]);

  const search = (e: FormEvent) => {
    e.preventDefault();
    setSearched(query.trim());
    void load(query.trim());
  };
  const replace = (m: MemoryView) =>
    setPage((p) => p && { ...p, items: p.items.map((x) => (x.id === m.id ? { ...m, score: x.score } : x)) });
  const drop = (id: string) => setPage((p) => p && { ...p, items: p.items.filter((x) => x.id !== id) });

  return (
    <main className={styles.page}>
      <p>
        <a href="/">← Back to chat</a>
      </p>
      <h1>Memories</h1>
      <p className={styles.muted}>
        What the agent remembers for later conversations: yours alone, and what your organisation shares.
      </p>
      <form className={styles.tokenForm} onSubmit={search} role="search">
        <label>
          Search
          <input
            type="search"
            value={query}
            maxLength={1000}
            placeholder="words or what you mean"
            onChange={(e) => setQuery(e.target.value)}
          />
        </label>
        <button type="submit" className={styles.send} disabled={loading}>
          Search
        </button>
      </form>
      {page && page.mode !== "list" && (
        <p className={styles.muted} data-testid="search-mode">
          {page.mode === "hybrid" ? "Ranked by words and meaning." : "Ranked by words."}
        </p>
      )}
      {error && <p role="alert">{error}</p>}
      {!page && !error && <p role="status">Loading…</p>}
      {page && page.items.length === 0 && (
        <p className={styles.muted} data-testid="no-memories">
          {page.mode === "list" ? "Nothing remembered yet." : "No memory matches."}
        </p>
      )}
      {page && page.items.length > 0 && (
        <ul className={own.list}>
          {page.items.map((m) => (
            <MemoryItem key={m.id} memory={m} onSaved={replace} onDeleted={drop} onError={setError} />
          ))}
        </ul>
      )}
      {page?.nextCursor && (
        <button
          type="button"
          className={styles.headerButton}
          disabled={loading}
          onClick={() => void load(searched, page.nextCursor!)}
        >
          More
        </button>
      )}
    </main>
  );
}
