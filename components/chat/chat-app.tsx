"use client";
// The chat page: sessions on the left (a drawer on narrow screens), the conversation and the
// composer on the right. The open session is in the URL (?s=<id>), so a reload finds it again.
import { useEffect, useState } from "react";
import { useChat } from "@/lib/client/chat-store";
import { useAccount } from "@/lib/client/account-store";
import { Composer } from "./composer";
import { Conversation } from "./conversation";
import { SessionList } from "./session-list";
import { BudgetMeter } from "./budget-meter";
import { ShareButton } from "./share-dialog";
import { SettingsButton } from "../settings/settings-dialog";
import styles from "./chat.module.css";

function sessionFromUrl(): string | null {
  return new URLSearchParams(window.location.search).get("s");
}

export function ChatApp() {
  const init = useChat((s) => s.init);
  const open = useChat((s) => s.open);
  const me = useAccount((s) => s.me);
  const models = useAccount((s) => s.models);
  const title = useChat((s) => s.view?.title);
  const access = useChat((s) => s.view?.access);
  const currentId = useChat((s) => s.currentId);
  const logout = useChat((s) => s.logout);
  const [ready, setReady] = useState(false);
  const [drawer, setDrawer] = useState(false);

  useEffect(() => {
    void init().then((r) => {
      if (r === "signed-out") return window.location.assign("/login");
      setReady(true);
      void open(sessionFromUrl());
    });
    const onPop = () => void open(sessionFromUrl());
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, [init, open]);

  useEffect(() => {
    if (!ready) return;
    const url = currentId ? `/?s=${currentId}` : "/";
    if (window.location.pathname + window.location.search !== url) window.history.pushState(null, "", url);
  }, [currentId, ready]);

  const pick = (id: string | null) => {
    setDrawer(false);
    if (id !== useChat.getState().currentId) void open(id);
  };

  if (!ready)
    return (
      <div className={styles.center} role="status">
        Loading…
      </div>
    );
  const chat = models?.chat;
  const unconfigured = chat && !chat.configured;

  return (
    <div className={styles.app} data-drawer={drawer}>
      <aside className={styles.sidebar}>
        <div className={styles.brand}>SomaAgent</div>
        <SessionList onPick={pick} />
        <BudgetMeter />
        <div className={styles.account}>
          <span title={me?.email}>{me?.email}</span>
          <a href="/settings">Settings</a>
          <a href="/memories">Memories</a>
          <a href="/tokens">API tokens</a>
          <a href="/schedules">Schedules</a>
          {me?.role === "admin" && <a href="/audit">Audit log</a>}
          <a href="/status">Status</a>
          <button type="button" onClick={() => void logout()}>
            Sign out
          </button>
        </div>
      </aside>
      <main className={styles.main}>
        <header className={styles.header}>
          <button
            type="button"
            className={styles.menu}
            aria-label="Sessions"
            aria-expanded={drawer}
            onClick={() => setDrawer(!drawer)}
          >
            ☰
          </button>
          <h1>{title ?? "New chat"}</h1>
          {chat && (
            <span
              className={styles.model}
              data-offline={chat.offline}
              title={
                chat.offline ? "The offline demo model: scripted answers" : `${chat.provider} · ${chat.model}`
              }
            >
              {chat.offline ? "Offline demo" : chat.model}
            </span>
          )}
          {access === "owner" && <ShareButton />}
          <SettingsButton className={styles.headerButton} />
        </header>
        {chat?.offline && (
          <p className={styles.offlineBanner} data-testid="offline-banner">
            <span>
              <strong>Offline demo model:</strong> answers are scripted. Add an API key or choose a local
              model in{" "}
            </span>
            <a href="/settings#models">Settings →</a>
          </p>
        )}
        {unconfigured ? (
          <section className={styles.center} data-testid="first-run">
            <h2>No model provider is configured</h2>
            <p>{chat.reason}</p>
            <p className={styles.muted}>
              Choose a provider and model in <a href="/settings#models">Settings</a>. To try SomaAgent without
              a key, <code>make dev-up</code> starts an offline demo model when no provider is configured.
            </p>
          </section>
        ) : (
          <Conversation />
        )}
        <Composer
          disabledReason={
            unconfigured
              ? "Configure a model provider first"
              : access === "viewer"
                ? "Shared with you: read only"
                : undefined
          }
        />
      </main>
      {drawer && (
        <button
          type="button"
          className={styles.scrim}
          aria-label="Close sessions"
          onClick={() => setDrawer(false)}
        />
      )}
    </div>
  );
}
