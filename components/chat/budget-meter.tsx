"use client";
// The tenant's token budget left today (or this month, whichever is tighter), under the session list.
import { useAccount, type BudgetLine } from "@/lib/client/account-store";
import styles from "./chat.module.css";

const fmt = (n: number) => n.toLocaleString("en");

function tightest(lines: (BudgetLine | null)[]): { line: BudgetLine; span: string } | null {
  const named = [
    { line: lines[0], span: "today" },
    { line: lines[1], span: "this month" },
  ].filter((x): x is { line: BudgetLine; span: string } => x.line !== null);
  if (!named.length) return null;
  return named.reduce((a, b) => (b.line.remaining < a.line.remaining ? b : a));
}

export function BudgetMeter() {
  const usage = useAccount((s) => s.usage);
  const pick = usage && tightest([usage.budget.tokensDaily, usage.budget.tokensMonthly]);
  if (!pick) return null;
  const { line, span } = pick;
  const left = line.limit ? line.remaining / line.limit : 0;
  const resets = new Date(line.resetsAt).toLocaleString(undefined, {
    dateStyle: span === "today" ? undefined : "medium",
    timeStyle: "short",
  });
  return (
    <div className={styles.budget} data-testid="budget" data-empty={line.remaining === 0}>
      <div className={styles.budgetText}>
        {line.remaining === 0 ? (
          <>
            Token budget used up {span}. Resets {resets}.
          </>
        ) : (
          <>
            {fmt(line.remaining)} of {fmt(line.limit)} tokens left {span}
          </>
        )}
      </div>
      <div
        className={styles.budgetBar}
        role="meter"
        aria-label={`Token budget left ${span}`}
        aria-valuemin={0}
        aria-valuemax={line.limit}
        aria-valuenow={line.remaining}
      >
        <span style={{ width: `${Math.round(left * 100)}%` }} />
      </div>
    </div>
  );
}
