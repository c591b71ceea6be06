"use client";
// The /settings page: the panel with a way back to the chat.
import { SettingsPanel } from "./settings-panel";
import styles from "./settings.module.css";

export function SettingsPage() {
  return (
    <main className={styles.page}>
      <p>
        <a href="/">← Back to chat</a>
      </p>
      <h1>Settings</h1>
      <SettingsPanel />
    </main>
  );
}
