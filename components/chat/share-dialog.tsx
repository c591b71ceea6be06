"use client";
// Share the open session with a colleague (same organisation) as a read-only viewer.
import { useRef, useState, type FormEvent } from "react";
import { api } from "@/lib/client/api";
import { useChat } from "@/lib/client/chat-store";
import styles from "./chat.module.css";

export function ShareButton() {
  const share = useChat((s) => s.share);
  const sessionId = useChat((s) => s.view?.sessionId);
  const [viewers, setViewers] = useState<{ userId: string; email: string }[] | null>(null);
  const loadViewers = async () => {
    if (!sessionId) return;
    try {
      setViewers(
        (await api<{ items: { userId: string; email: string }[] }>(`/api/v1/sessions/${sessionId}/share`))
          .items,
      );
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const remove = async (v: { userId: string; email: string }) => {
    setError(null);
    setDone(null);
    try {
      await api(`/api/v1/sessions/${sessionId}/share/${v.userId}`, { method: "DELETE" });
      setDone(`${v.email} can no longer see this session.`);
      await loadViewers();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const dialog = useRef<HTMLDialogElement>(null);
  const [email, setEmail] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const openDialog = () => {
    setError(null);
    setDone(null);
    setEmail("");
    setViewers(null);
    dialog.current?.showModal();
    void loadViewers();
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await share(email.trim());
      setDone(`Shared with ${email.trim()}. They can read this session but not post in it.`);
      setEmail("");
      await loadViewers();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <button type="button" className={styles.headerButton} onClick={openDialog}>
        Share
      </button>
      <dialog ref={dialog} className={styles.dialog} aria-labelledby="share-title">
        <form onSubmit={(e) => void submit(e)}>
          <h2 id="share-title">Share this session</h2>
          <p className={styles.muted}>
            People you share with can read it and follow new answers, but not post.
          </p>
          <label>
            Colleague&apos;s email
            <input
              type="email"
              required
              autoFocus
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              placeholder="name@example.com"
            />
          </label>
          {error && (
            <p className={styles.sendError} role="alert">
              {error}
            </p>
          )}
          {done && (
            <p className={styles.success} role="status">
              {done}
            </p>
          )}
          <div aria-live="polite">
            {viewers === null ? (
              <p className={styles.muted}>Loading who can see it…</p>
            ) : viewers.length === 0 ? (
              <p className={styles.muted}>Not shared with anyone yet.</p>
            ) : (
              <ul className={styles.viewerList} aria-label="Shared with">
                {viewers.map((v) => (
                  <li key={v.userId}>
                    <span>{v.email}</span>
                    <button
                      type="button"
                      aria-label={`Stop sharing with ${v.email}`}
                      onClick={() => void remove(v)}
                    >
                      Remove
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </div>
          <div className={styles.dialogActions}>
            <button type="button" onClick={() => dialog.current?.close()}>
              Close
            </button>
            <button type="submit" className={styles.send} disabled={busy || !email.trim()}>
              {busy ? "Sharing…" : "Share"}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
