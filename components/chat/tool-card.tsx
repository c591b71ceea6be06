"use client";
// One tool step: name, live status, and (expanded) its arguments and result or error.
import type { ToolCard as Card } from "@/lib/client/timeline";
import styles from "./chat.module.css";

const LABEL: Record<Card["status"], string> = {
  running: "Running…",
  succeeded: "Done",
  failed: "Failed",
  denied: "Denied",
  timeout: "Timed out",
  killed: "Stopped",
};

function pretty(v: unknown): string {
  if (typeof v === "string") {
    try {
      return JSON.stringify(JSON.parse(v), null, 2);
    } catch {
      return v;
    }
  }
  return JSON.stringify(v, null, 2);
}

function output(result: unknown): string | undefined {
  if (result && typeof result === "object" && "stdout" in result) {
    const r = result as { stdout?: string; stderr?: string; exitCode?: number };
    return [r.stdout, r.stderr ? `stderr:\n${r.stderr}` : "", r.exitCode ? `exit code ${r.exitCode}` : ""]
      .filter(Boolean)
      .join("\n");
  }
  return result === undefined ? undefined : pretty(result);
}

export function ToolCard({ card }: { card: Card }) {
  const out = output(card.result);
  return (
    <details className={styles.tool} data-testid="tool-card" data-status={card.status}>
      <summary>
        <span className={styles.toolName}>{card.tool}</span>
        <span className={styles.toolStatus} data-status={card.status} data-testid="tool-status">
          {card.status === "running" && <span className={styles.spinner} aria-hidden />}
          {LABEL[card.status]}
          {card.durationMs !== undefined && card.status !== "running" ? ` · ${card.durationMs} ms` : ""}
        </span>
      </summary>
      <div className={styles.toolBody}>
        <h4>Arguments</h4>
        <pre>{pretty(card.arguments ?? {})}</pre>
        {out !== undefined && (
          <>
            <h4>Result</h4>
            <pre data-testid="tool-result">{out || "(no output)"}</pre>
          </>
        )}
        {card.error && (
          <>
            <h4>Error</h4>
            <pre className={styles.toolError}>{card.error}</pre>
          </>
        )}
      </div>
    </details>
  );
}
