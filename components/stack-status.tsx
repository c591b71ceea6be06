"use client";
// Live readiness of the gateway's dependencies, from /readyz, refreshed every few seconds.
import { useCallback, useEffect, useState } from "react";
import styles from "@/app/status/page.module.css";

interface Check {
  ok: boolean;
  latencyMs: number;
  error?: string;
}
interface Readiness {
  status: "ok" | "unavailable" | "shutting_down";
  /** Only for operators (this host, or the metrics token); others see the overall status. */
  failing?: string[];
  checks?: Record<string, Check>;
}
type State =
  { kind: "loading" } | { kind: "error"; message: string } | { kind: "ready"; data: Readiness; at: Date };

const REFRESH_MS = 5_000;

export function StackStatus() {
  const [state, setState] = useState<State>({ kind: "loading" });

  const refresh = useCallback(async () => {
    try {
      const res = await fetch("/readyz", { cache: "no-store" });
      const data = (await res.json()) as Readiness;
      setState({ kind: "ready", data, at: new Date() });
    } catch {
      setState({ kind: "error", message: "The gateway is not answering. Is it running?" });
    }
  }, []);

  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [refresh]);

  return (
    <section className={styles.panel} aria-labelledby="stack-title" data-testid="stack-status">
      <div className={styles.panelHead}>
        <div className={styles.titleGroup}>
          <h2 id="stack-title" className={styles.panelTitle}>
            Services
          </h2>
          {state.kind === "ready" && (
            <span
              className={`${styles.badge} ${state.data.status === "ok" ? styles.badgeOk : styles.badgeFail}`}
              data-testid="stack-overall"
              role="status"
            >
              {state.data.status === "ok"
                ? "All ready"
                : state.data.failing
                  ? `${state.data.failing.length} not ready`
                  : "Not ready"}
            </span>
          )}
        </div>
        <button type="button" className={styles.button} onClick={() => void refresh()}>
          Refresh
        </button>
      </div>
      {state.kind === "loading" && <p className={styles.muted}>Checking services…</p>}
      {state.kind === "error" && (
        <p className={styles.error} role="alert">
          {state.message}
        </p>
      )}
      {state.kind === "ready" && !state.data.checks && (
        <p className={styles.muted}>Which service is which is shown to operators, on the gateway's host.</p>
      )}
      {state.kind === "ready" && state.data.checks && (
        <ul className={styles.list}>
          {Object.entries(state.data.checks).map(([name, check]) => (
            <li key={name} className={styles.row} data-testid={`check-${name}`} data-ok={check.ok}>
              <span className={`${styles.dot} ${check.ok ? styles.ok : styles.fail}`} aria-hidden />
              <span className={styles.name}>{name}</span>
              <span className={styles.detail}>
                {check.ok ? `ready · ${check.latencyMs} ms` : `not ready: ${check.error}`}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
