"use client";
// The open conversation: messages, tool cards and turn notices in order, following the newest
// content while the reader is at the bottom.
import { useEffect, useRef } from "react";
import { useChat } from "@/lib/client/chat-store";
import { Markdown } from "./markdown";
import { ToolCard } from "./tool-card";
import styles from "./chat.module.css";

export function Conversation() {
  const view = useChat((s) => s.view);
  const loading = useChat((s) => s.viewLoading);
  const error = useChat((s) => s.viewError);
  const currentId = useChat((s) => s.currentId);
  const send = useChat((s) => s.send);
  const open = useChat((s) => s.open);
  const scroller = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);

  useEffect(() => {
    const el = scroller.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [view]);

  if (loading)
    return (
      <div className={styles.center} role="status">
        Loading the conversation…
      </div>
    );
  if (error)
    return (
      <div className={styles.center} role="alert">
        <p>{error}</p>
        {currentId && (
          <button type="button" className={styles.button} onClick={() => void open(currentId)}>
            Try again
          </button>
        )}
      </div>
    );
  if (!view || view.items.length === 0)
    return (
      <div className={styles.center} data-testid="empty-conversation">
        <h2>What can I help with?</h2>
        <p className={styles.muted}>
          Ask anything. The agent can run code, keep files and remember things for you.
        </p>
      </div>
    );
  if (view.deleted)
    return (
      <div className={styles.center} role="status">
        This session was deleted.
      </div>
    );

  return (
    <div
      className={styles.scroller}
      ref={scroller}
      onScroll={(e) => {
        const el = e.currentTarget;
        pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
      }}
      data-testid="conversation"
    >
      <ol className={styles.timeline} aria-live="polite">
        {view.items.map((item) => {
          if (item.kind === "user")
            return (
              <li
                key={item.id}
                id={`m-${item.id}`}
                className={styles.user}
                data-testid="user-message"
                data-voice={item.voice ?? false}
              >
                {item.content}
                {item.voice && <span className={styles.spoken}>spoken</span>}
              </li>
            );
          if (item.kind === "assistant")
            return (
              <li
                key={item.id}
                className={styles.assistant}
                data-testid="assistant-message"
                data-complete={item.complete}
                data-voice={item.voice ?? false}
                data-interrupted={item.interrupted ?? false}
              >
                <Markdown text={item.content} />
                {!item.complete && <span className={styles.caret} aria-hidden />}
                {(item.voice || item.interrupted) && (
                  <span className={styles.spoken}>
                    {item.interrupted ? "spoken · interrupted: the rest was not heard" : "spoken"}
                  </span>
                )}
              </li>
            );
          if (item.kind === "tool") {
            const card = view.tools[item.id];
            return card ? (
              <li key={item.id}>
                <ToolCard card={card} />
              </li>
            ) : null;
          }
          if (item.kind !== "notice") return null;
          return (
            <li
              key={item.id}
              className={styles.notice}
              data-status={item.status}
              role="alert"
              data-testid="turn-notice"
            >
              <span>{item.reason}</span>
              {item.retryContent && item.status !== "cancelled" && (
                <button
                  type="button"
                  className={styles.button}
                  disabled={view.runningTurnId !== null}
                  onClick={() => void send(item.retryContent!)}
                >
                  Retry
                </button>
              )}
            </li>
          );
        })}
        {view.runningTurnId && !view.items.some((i) => i.kind === "assistant" && !i.complete) && (
          <li className={styles.thinking} role="status">
            <span className={styles.spinner} aria-hidden /> Working…
          </li>
        )}
      </ol>
    </div>
  );
}
