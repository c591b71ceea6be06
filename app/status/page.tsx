import styles from "./page.module.css";
import { StackStatus } from "@/components/stack-status";

export default function StatusPage() {
  return (
    <main className={styles.main}>
      <h1 className={styles.title}>SomaAgent</h1>
      <p className={styles.lead}>
        This gateway&apos;s view of the stack. <a href="/">Back to chat</a>
      </p>
      <StackStatus />
      <p className={styles.links}>
        API: <a href="/api/openapi.json">/api/openapi.json</a> · Health: <a href="/healthz">/healthz</a> ·
        Readiness: <a href="/readyz">/readyz</a> · Metrics: <a href="/metrics">/metrics</a>
      </p>
    </main>
  );
}
