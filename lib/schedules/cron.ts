// When a schedule fires next: cron expressions (five fields, minute first) in an IANA time zone, read
// by cron-parser, or a one-off time. Used by the API (validation, next run shown) and the scheduler.
import { CronExpressionParser } from "cron-parser";

/** True for a time zone the runtime knows (IANA names such as Europe/Berlin, or UTC). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Why a cron expression is refused, or null when it is a valid five-field expression. */
export function cronProblem(expression: string): string | null {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5)
    return `needs five fields (minute hour day-of-month month day-of-week), got ${fields.length}`;
  try {
    CronExpressionParser.parse(expression, { strict: false });
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The first time strictly after `after` that the expression matches in `zone`. */
export function nextCronRun(expression: string, zone: string, after: Date): Date {
  return CronExpressionParser.parse(expression, { tz: zone, currentDate: after }).next().toDate();
}

export interface Timing {
  cron: string | null;
  timezone: string;
  runAt: Date | null;
}

/** When a schedule should fire next, seen from `now`; null when it never will (a one-off that is past). */
export function nextRunFor(t: Timing, now: Date): Date | null {
  if (t.cron) return nextCronRun(t.cron, t.timezone, now);
  if (t.runAt) return t.runAt;
  return null;
}
