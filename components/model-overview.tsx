"use client";
// Read-only view of the model roles and whether each can be used, with how to configure them.
import { useEffect, useState } from "react";
import { api } from "@/lib/client/api";
import styles from "./chat/chat.module.css";

interface Status {
  configured: boolean;
  provider: string;
  model: string;
  reason?: string;
}

export function ModelOverview() {
  const [data, setData] = useState<Record<string, Status> | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<Record<string, Status>>("/api/v1/models")
      .then(setData)
      .catch((err: unknown) => {
        if ((err as { status?: number }).status === 401) window.location.assign("/login");
        else setError((err as Error).message);
      });
  }, []);
  return (
    <main className={styles.page}>
      <p>
        <a href="/">← Back to chat</a>
      </p>
      <h1>Models</h1>
      {error && <p role="alert">{error}</p>}
      {!data && !error && <p role="status">Loading…</p>}
      {data && (
        <table className={styles.table}>
          <thead>
            <tr>
              <th>Role</th>
              <th>Provider</th>
              <th>Model</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(data).map(([role, s]) => (
              <tr key={role}>
                <td>{role}</td>
                <td>{s.provider}</td>
                <td>{s.model}</td>
                <td>{s.configured ? "Ready" : s.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className={styles.muted}>
        Models are configured by environment variables (for example <code>SOMA_MODELS_CHAT_PROVIDER</code>,{" "}
        <code>SOMA_MODELS_CHAT_NAME</code> and the provider&apos;s key variable such as{" "}
        <code>OPENAI_API_KEY</code>), by <code>tmp/settings.json</code>, <code>conf/tenants.yaml</code> and{" "}
        <code>conf/model_providers.yaml</code>. See <code>.env.example</code>.
      </p>
    </main>
  );
}
