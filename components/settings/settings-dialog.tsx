"use client";
// The quick settings dialog from the chat: the same panel, without leaving the conversation.
import { useRef, useState } from "react";
import { SettingsPanel } from "./settings-panel";
import styles from "./settings.module.css";

export function SettingsButton({ className }: { className?: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  return (
    <>
      <button
        type="button"
        className={className}
        aria-label="Quick settings"
        title="Settings"
        onClick={() => {
          setOpen(true);
          dialog.current?.showModal();
        }}
      >
        <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden>
          <path
            d="M8 5.5a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5zM8 1l1 2 2.2-.6.3 2.3 2 1-1 2 1 2-2 1-.3 2.3L9 13l-1 2-1-2-2.2.6-.3-2.3-2-1 1-2-1-2 2-1 .3-2.3L7 3z"
            fill="none"
            stroke="currentColor"
            strokeWidth="1.2"
          />
        </svg>
      </button>
      <dialog
        ref={dialog}
        className={styles.dialog}
        aria-labelledby="quick-settings-title"
        onClose={() => setOpen(false)}
      >
        <div className={styles.dialogHeader}>
          <h2 id="quick-settings-title">Settings</h2>
          <button type="button" className={styles.secondary} onClick={() => dialog.current?.close()}>
            Close
          </button>
        </div>
        {open && <SettingsPanel compact />}
      </dialog>
    </>
  );
}
