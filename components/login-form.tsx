"use client";
// Sign in with email and password; the server sets an httpOnly session cookie.
import { useState, type FormEvent } from "react";
import { api } from "@/lib/client/api";
import { useHydrated } from "@/lib/client/use-hydrated";
import styles from "./chat/chat.module.css";

export function LoginForm() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const hydrated = useHydrated();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api("/api/auth/login", { method: "POST", json: { email, password } });
      window.location.assign("/");
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };

  return (
    <main className={styles.loginPage}>
      <form className={styles.loginForm} method="post" onSubmit={(e) => void submit(e)}>
        <h1>Sign in to SomaAgent</h1>
        <fieldset className={styles.plainFieldset} disabled={!hydrated}>
          <label>
            Email
            <input
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </label>
          <label>
            Password
            <input
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </label>
          {error && (
            <p className={styles.sendError} role="alert">
              {error}
            </p>
          )}
          <button type="submit" className={styles.send} disabled={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </fieldset>
      </form>
    </main>
  );
}
