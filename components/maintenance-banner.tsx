"use client";
// The maintenance banner, on every page: rendered with the page's state, then kept current by
// socket.io `/system` (a change shows on every open page at once) and hidden when `until` passes.
// Its height is published as --maintenance-banner-height so full-height layouts make room for it.
import { useEffect, useRef, useState } from "react";
import { io, type Socket } from "socket.io-client";
import { inForce, type MaintenanceView, type SystemServerEvents } from "@/lib/maintenance/view";
import { reconnectOnDrain } from "@/lib/client/reconnect-on-drain";
import { useHydrated } from "@/lib/client/use-hydrated";
import styles from "./maintenance-banner.module.css";

const HEIGHT_VAR = "--maintenance-banner-height";

function untilText(until: string): string {
  const d = new Date(until);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay
    ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

export function MaintenanceBanner({ initial }: { initial: MaintenanceView }) {
  const [view, setView] = useState(initial);
  const [now, setNow] = useState(() => Date.now());
  const ref = useRef<HTMLDivElement>(null);
  // The end time is shown in the browser's time zone, so only once hydrated (the server's may differ).
  const hydrated = useHydrated();

  useEffect(() => {
    // Pages of signed-out visitors are refused by the namespace: they keep the state they loaded.
    const socket: Socket<SystemServerEvents> = io("/system", {
      withCredentials: true,
      transports: ["websocket", "polling"],
    });
    socket.on("maintenance", (v) => {
      setNow(Date.now());
      setView(v);
    });
    reconnectOnDrain(socket);
    return () => {
      socket.disconnect();
    };
  }, []);

  // Maintenance ending by itself at `until` is not announced: the page hides the banner then.
  useEffect(() => {
    if (!view.active || !view.until) return;
    const left = Date.parse(view.until) - Date.now();
    if (left <= 0) return;
    const timer = setTimeout(() => setNow(Date.now()), Math.min(left + 50, 2 ** 31 - 1));
    return () => clearTimeout(timer);
  }, [view]);

  const shown = inForce(view, now);
  useEffect(() => {
    const root = document.documentElement;
    const el = ref.current;
    if (!shown || !el) {
      root.style.removeProperty(HEIGHT_VAR);
      return;
    }
    const publish = () => root.style.setProperty(HEIGHT_VAR, `${el.offsetHeight}px`);
    publish();
    const observer = new ResizeObserver(publish);
    observer.observe(el);
    return () => {
      observer.disconnect();
      root.style.removeProperty(HEIGHT_VAR);
    };
  }, [shown]);

  if (!shown) return null;
  return (
    <div
      ref={ref}
      className={styles.banner}
      role="status"
      aria-live="polite"
      data-testid="maintenance-banner"
    >
      <strong>Maintenance</strong>
      <span data-testid="maintenance-message">{view.message}</span>
      {view.until && hydrated && <span className={styles.until}>until {untilText(view.until)}</span>}
    </div>
  );
}
