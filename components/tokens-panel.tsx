"use client";
// API tokens: create one (its secret is shown this once, with a copy button), see them all without
// secrets, revoke one (it stops working at once everywhere).
import { useState, type FormEvent } from "react";
import { api, ApiError } from "@/lib/client/api";
import { useApiResource } from "@/lib/client/use-api-resource";
import type { TokenView } from "@/lib/auth/token-service";
import styles from "./chat/chat.module.css";

type Token = TokenView;

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "—");

function status(t: Token): string {
  if (t.revokedAt) return "Revoked";
  if (t.expiresAt && new Date(t.expiresAt) < new Date()) return "Expired";
  return "Active";
}

function fieldError(err: unknown, field: string): string | null {
  if (!(err instanceof ApiError) || !Array.isArray(err.details)) return null;
  const hit = (err.details as { field?: string; message?: string }[]).find((d) => d.field === field);
  return hit?.message ?? null;
}

export function TokensPanel() {
  const { data, error: failedLoad, reload: load } = useApiResource<{ items: Token[] }>("/api/v1/tokens");
  const tokens = data?.items ?? null;
  const [revokeError, setLoadError] = useState<string | null>(null);
  const loadError = revokeError ?? failedLoad;
  const [name, setName] = useState("");
  const [days, setDays] = useState("");
  const [formError, setFormError] = useState<{ message: string; name?: string; days?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [secret, setSecret] = useState<{ name: string; token: string } | null>(null);
  const [copied, setCopied] = useState(false);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setFormError(null);
    try {
      const body = { name: name.trim(), ...(days ? { expiresInDays: Number(days) } : {}) };
      const created = await api<Token & { token: string }>("/api/v1/tokens", { method: "POST", json: body });
      setSecret({ name: created.name, token: created.token });
      setCopied(false);
      setName("");
      setDays("");
      await load();
    } catch (err) {
      setFormError({
        message: (err as Error).message,
        ...(fieldError(err, "name") ? { name: fieldError(err, "name")! } : {}),
        ...(fieldError(err, "expiresInDays") ? { days: fieldError(err, "expiresInDays")! } : {}),
      });
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (t: Token) => {
    if (!window.confirm(`Revoke "${t.name}"? Programs using it stop working at once.`)) return;
    try {
      await api(`/api/v1/tokens/${t.id}`, { method: "DELETE" });
      await load();
    } catch (err) {
      setLoadError((err as Error).message);
    }
  };

  return (
    <main className={styles.page}>
      <p>
        <a href="/">← Back to chat</a>
      </p>
      <h1>API tokens</h1>
      <p className={styles.muted}>
        Use a token as <code>Authorization: Bearer &lt;token&gt;</code> with the API (
        <a href="/api/openapi.json">OpenAPI document</a>). It acts as you, with your permissions.
      </p>

      <form className={styles.tokenForm} onSubmit={(e) => void create(e)} noValidate>
        <label>
          Name
          <input
            value={name}
            maxLength={100}
            placeholder="e.g. CI pipeline"
            onChange={(e) => setName(e.target.value)}
            aria-invalid={Boolean(formError?.name)}
            aria-describedby={formError?.name ? "token-name-error" : undefined}
          />
          {formError?.name && (
            <span id="token-name-error" className={styles.fieldError}>
              {formError.name}
            </span>
          )}
        </label>
        <label>
          Expires after (days, optional)
          <input
            type="number"
            min={1}
            max={3650}
            value={days}
            placeholder="never"
            onChange={(e) => setDays(e.target.value)}
            aria-invalid={Boolean(formError?.days)}
          />
          {formError?.days && <span className={styles.fieldError}>{formError.days}</span>}
        </label>
        <button type="submit" className={styles.send} disabled={busy || !name.trim()}>
          {busy ? "Creating…" : "Create token"}
        </button>
      </form>
      {formError && !formError.name && !formError.days && (
        <p className={styles.sendError} role="alert">
          {formError.message}
        </p>
      )}

      {secret && (
        <div className={styles.secretBox} role="status" data-testid="new-token">
          <p>
            <strong>{secret.name}</strong>: copy this token now. It is not shown again.
          </p>
          <div className={styles.secretRow}>
            <code>{secret.token}</code>
            <button
              type="button"
              className={styles.headerButton}
              onClick={() =>
                void navigator.clipboard.writeText(secret.token).then(
                  () => setCopied(true),
                  () => setCopied(false),
                )
              }
            >
              {copied ? "Copied" : "Copy"}
            </button>
            <button type="button" className={styles.headerButton} onClick={() => setSecret(null)}>
              Done
            </button>
          </div>
        </div>
      )}

      {loadError && <p role="alert">{loadError}</p>}
      {!tokens && !loadError && <p role="status">Loading…</p>}
      {tokens && tokens.length === 0 && <p className={styles.muted}>No tokens yet.</p>}
      {tokens && tokens.length > 0 && (
        <table className={styles.table}>
          <thead>
            <tr>
              <th>Name</th>
              <th>Starts with</th>
              <th>Created</th>
              <th>Last used</th>
              <th>Expires</th>
              <th>Status</th>
              <th>
                <span className={styles.visuallyHidden}>Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id} data-testid="token-row">
                <td>{t.name}</td>
                <td>
                  <code>{t.prefix}…</code>
                </td>
                <td>{when(t.createdAt)}</td>
                <td>{when(t.lastUsedAt)}</td>
                <td>{t.expiresAt ? when(t.expiresAt) : "Never"}</td>
                <td>{status(t)}</td>
                <td>
                  {status(t) === "Active" && (
                    <button
                      type="button"
                      className={styles.headerButton}
                      aria-label={`Revoke ${t.name}`}
                      onClick={() => void revoke(t)}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
