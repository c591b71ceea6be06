import styles from "./page.module.css";
import { StackStatus } from "@/components/stack-status";

export default function HomePage() {
  return (
    <main className={styles.main}>
      <h1 className={styles.title}>SomaAgent</h1>
      <p className={styles.lead}>Realtime, speech-first AI agents. This gateway&apos;s view of the stack:</p>
      <StackStatus />
      <p className={styles.links}>
        API: <a href="/api/v1/me">/api/v1/me</a> (needs a token) · Health: <a href="/healthz">/healthz</a> ·
        Readiness: <a href="/readyz">/readyz</a> · Metrics: <a href="/metrics">/metrics</a>
      </p>
    </main>
  );
}
