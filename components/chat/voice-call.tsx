"use client";
// Voice in the composer: the microphone button starts a call in the open session; while it runs, a
// bar shows its status in words (with the microphone level while you speak), the last caption,
// hands-free or push-to-talk (hold the button or Space), mute and hang up.
import { useEffect } from "react";
import { useChat } from "@/lib/client/chat-store";
import { useAccount } from "@/lib/client/account-store";
import { useVoice, type VoiceStatus } from "@/lib/client/voice-store";
import styles from "./voice-call.module.css";

const STATUS_TEXT: Record<VoiceStatus, string> = {
  idle: "",
  connecting: "Connecting…",
  listening: "Listening",
  hearing: "Hearing you",
  thinking: "Thinking…",
  speaking: "Speaking",
  interrupted: "Interrupted",
  reconnecting: "Reconnecting…",
  error: "Call failed",
};

/** Starts a call in the open conversation (a new one if none is open). */
export function MicButton({ disabled }: { disabled: boolean }) {
  const status = useVoice((s) => s.status);
  const start = useVoice((s) => s.start);
  const voice = useAccount((s) => s.models?.voice);
  const inCall = status !== "idle" && status !== "error";
  if (inCall) return null;
  const off = voice !== undefined && !voice.usable;
  const call = async () => {
    if (off) return useVoice.getState().unavailable(`Voice is not set up. ${voice.reason ?? ""}`.trim());
    if (!useChat.getState().view) await useChat.getState().newSession();
    const id = useChat.getState().view?.sessionId;
    if (id) await start(id);
  };
  return (
    <button
      type="button"
      className={off ? `${styles.mic} ${styles.off}` : styles.mic}
      aria-label="Start a voice call"
      title={off ? "Voice is not set up" : "Talk to the agent"}
      disabled={disabled}
      onClick={() => void call()}
    >
      <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
        <path
          fill="currentColor"
          d="M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3Zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.92V21h2v-3.08A7 7 0 0 0 19 11h-2Z"
        />
      </svg>
    </button>
  );
}

export function CallBar() {
  const v = useVoice();
  // Space held = push-to-talk, unless typing somewhere.
  useEffect(() => {
    if (!v.callId || v.input !== "push-to-talk") return;
    const typing = (e: KeyboardEvent) =>
      e.target instanceof HTMLElement && /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName);
    const down = (e: KeyboardEvent) => {
      if (e.code !== "Space" || e.repeat || typing(e)) return;
      e.preventDefault();
      v.ptt(true);
    };
    const up = (e: KeyboardEvent) => {
      if (e.code !== "Space" || typing(e)) return;
      e.preventDefault();
      v.ptt(false);
    };
    window.addEventListener("keydown", down);
    window.addEventListener("keyup", up);
    return () => {
      window.removeEventListener("keydown", down);
      window.removeEventListener("keyup", up);
    };
  }, [v.callId, v.input, v.ptt]);

  if (v.status === "error")
    return (
      <div className={styles.bar} data-status="error" role="alert">
        <span className={styles.message}>{v.message}</span>
        {v.setup && <a href="/settings">Open Settings</a>}
        {v.elsewhere && v.sessionId && (
          <button type="button" onClick={() => void v.start(v.sessionId!, { takeOver: true })}>
            Take over here
          </button>
        )}
        {!v.elsewhere && v.sessionId && (
          <button type="button" onClick={() => void v.start(v.sessionId!)}>
            Try again
          </button>
        )}
        {v.mode === "realtime" && v.sessionId && (
          <button type="button" onClick={() => void v.start(v.sessionId!, { mode: "cascaded" })}>
            Use cascaded voice
          </button>
        )}
        <button type="button" onClick={v.dismiss}>
          Close
        </button>
      </div>
    );
  if (v.status === "idle") return null;

  const ptt = v.input === "push-to-talk";
  return (
    <div className={styles.bar} data-status={v.status} data-testid="call-bar">
      <span className={styles.status} aria-live="polite" data-testid="call-status">
        <span className={styles.dot} aria-hidden="true" />
        {v.muted
          ? "Muted"
          : ptt && v.status === "listening"
            ? v.talking
              ? "Hearing you"
              : "Hold to talk"
            : STATUS_TEXT[v.status]}
      </span>
      <span className={styles.level} aria-hidden="true">
        <span style={{ width: `${Math.round((v.muted ? 0 : v.level) * 100)}%` }} />
      </span>
      <span className={styles.caption} data-testid="call-caption" data-role={v.caption?.role}>
        {v.caption ? `${v.caption.role === "user" ? "You" : "Agent"}: ${v.caption.text}` : ""}
      </span>
      {v.notice && (
        <span className={styles.notice} role="status" data-testid="call-notice">
          {v.notice}
        </span>
      )}
      {v.offline && (
        <span
          className={styles.offline}
          title="espeak-ng speaks and pocketsphinx listens: rough, for trying it out"
        >
          Offline voice
        </span>
      )}
      <label className={styles.mode}>
        <input
          type="checkbox"
          checked={!ptt}
          onChange={(e) => v.setInput(e.target.checked ? "hands-free" : "push-to-talk")}
        />
        Hands-free
      </label>
      {ptt && (
        <button
          type="button"
          className={styles.talk}
          aria-pressed={v.talking}
          onPointerDown={() => v.ptt(true)}
          onPointerUp={() => v.ptt(false)}
          onPointerLeave={() => v.talking && v.ptt(false)}
          title="Hold to talk (or hold Space)"
        >
          Hold to talk
        </button>
      )}
      <button type="button" aria-pressed={v.muted} onClick={v.toggleMute}>
        {v.muted ? "Unmute" : "Mute"}
      </button>
      <button type="button" className={styles.hangup} onClick={() => void v.hangup()}>
        Hang up
      </button>
    </div>
  );
}
