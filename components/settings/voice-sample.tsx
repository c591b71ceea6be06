"use client";
// "Play a sample" of the chosen text-to-speech voice (with the saved speech provider and model).
import { useState } from "react";
import styles from "./settings.module.css";

export function VoiceSample({ voice }: { voice: string }) {
  const [state, setState] = useState<"idle" | "loading" | "playing">("idle");
  const [error, setError] = useState<string | null>(null);
  const play = async () => {
    setState("loading");
    setError(null);
    try {
      const res = await fetch("/api/v1/speech/sample", {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ voice }),
      });
      if (!res.ok) {
        const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
        throw new Error(body?.error?.message ?? `The server answered ${res.status}.`);
      }
      const url = URL.createObjectURL(await res.blob());
      const audio = new Audio(url);
      audio.onended = () => {
        URL.revokeObjectURL(url);
        setState("idle");
      };
      setState("playing");
      await audio.play();
    } catch (err) {
      setError((err as Error).message);
      setState("idle");
    }
  };
  return (
    <div className={styles.testRow}>
      <button
        type="button"
        className={styles.secondary}
        disabled={state !== "idle" || !voice}
        onClick={() => void play()}
      >
        {state === "loading" ? "Loading…" : state === "playing" ? "Playing…" : "Play a sample"}
      </button>
      {state === "playing" && (
        <p role="status" className={styles.ok} data-testid="voice-playing">
          Playing {voice}
        </p>
      )}
      {error && (
        <p className={styles.error} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
