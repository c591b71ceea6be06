"use client";
// "Test connection" for one provider-backed group, with the values as entered (saved or not).
import { useState } from "react";
import { api } from "@/lib/client/api";
import type { SettingsState } from "@/lib/client/use-settings";
import { PROVIDER_GROUPS } from "@/lib/config/provider-groups";
import styles from "./settings.module.css";

interface Result {
  ok: boolean;
  latencyMs: number;
  message: string;
}

export function ConnectionTest({ prefix, s }: { prefix: string; s: SettingsState }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Result | null>(null);
  const group = PROVIDER_GROUPS.find((g) => g.prefix === prefix)!;
  const run = async () => {
    setBusy(true);
    setResult(null);
    const key = s.draft[`${prefix}.apiKey`];
    const voice = s.value(`${prefix}.voice`);
    try {
      setResult(
        await api<Result>("/api/v1/settings/test", {
          method: "POST",
          json: {
            target: prefix,
            provider: s.value(`${prefix}.provider`),
            baseUrl: s.value(`${prefix}.baseUrl`),
            model: s.value(`${prefix}.${group.modelKey}`),
            ...(typeof voice === "string" && voice ? { voice } : {}),
            ...(typeof key === "string" && key ? { apiKey: key } : {}),
          },
        }),
      );
    } catch (err) {
      setResult({ ok: false, latencyMs: 0, message: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className={styles.testRow}>
      <button type="button" className={styles.secondary} onClick={() => void run()} disabled={busy}>
        {busy ? "Testing…" : "Test connection"}
      </button>
      {result && (
        <p role="status" className={result.ok ? styles.ok : styles.error} data-testid={`test-${prefix}`}>
          {result.message}
        </p>
      )}
    </div>
  );
}
