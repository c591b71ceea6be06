"use client";
// The message box: Enter sends, Shift+Enter adds a line; Stop while a turn runs; the microphone
// starts a voice call.
import { useState, type FormEvent, type KeyboardEvent } from "react";
import { useChat } from "@/lib/client/chat-store";
import styles from "./chat.module.css";
import { CallBar, MicButton } from "./voice-call";

export function Composer({ disabledReason }: { disabledReason?: string | undefined }) {
  const [text, setText] = useState("");
  const send = useChat((s) => s.send);
  const stop = useChat((s) => s.stop);
  const running = useChat((s) => s.view?.runningTurnId ?? null);
  const sending = useChat((s) => s.sending);
  const error = useChat((s) => s.sendError);
  const connected = useChat((s) => s.connected);

  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    const content = text.trim();
    if (!content || running || sending || disabledReason) return;
    if (await send(content)) setText("");
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void submit();
    }
  };

  return (
    <form className={styles.composer} onSubmit={(e) => void submit(e)}>
      {error && (
        <p className={styles.sendError} role="alert">
          {error}
        </p>
      )}
      {!connected && <p className={styles.muted}>Connecting…</p>}
      <CallBar />
      <div className={styles.composerRow}>
        <textarea
          aria-label="Message"
          placeholder={disabledReason ?? "Message SomaAgent"}
          title="Enter sends, Shift+Enter adds a new line"
          value={text}
          rows={Math.min(8, Math.max(1, text.split("\n").length))}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKey}
          disabled={Boolean(disabledReason)}
        />
        <MicButton disabled={Boolean(disabledReason)} />
        {running ? (
          <button type="button" className={styles.stop} onClick={() => void stop()}>
            Stop
          </button>
        ) : (
          <button
            type="submit"
            className={styles.send}
            disabled={!text.trim() || sending || Boolean(disabledReason)}
          >
            Send
          </button>
        )}
      </div>
    </form>
  );
}
