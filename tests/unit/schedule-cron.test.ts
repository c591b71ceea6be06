// Schedules' timing: cron expressions in words (the page's preview), validation, and next runs in a
// time zone, including a daylight-saving change.
import { describe, expect, it } from "vitest";
import { describeCron } from "@/lib/schedules/describe-cron";
import { cronProblem, isTimeZone, nextCronRun, nextRunFor } from "@/lib/schedules/cron";

describe("describeCron", () => {
  it.each([
    ["* * * * *", "UTC", "every minute UTC"],
    ["*/15 * * * *", "UTC", "every 15 minutes UTC"],
    ["0 * * * *", "UTC", "every hour, on the hour UTC"],
    ["5 * * * *", "UTC", "every hour at minute 5 UTC"],
    ["0 */2 * * *", "UTC", "every 2 hours at minute 0 UTC"],
    ["0 9 * * 1-5", "Europe/Berlin", "every weekday at 09:00 Europe/Berlin"],
    ["0 9 * * MON-FRI", "Europe/Berlin", "every weekday at 09:00 Europe/Berlin"],
    ["30 7 * * *", "UTC", "every day at 07:30 UTC"],
    ["0 9,17 * * *", "UTC", "every day at 09:00 and 17:00 UTC"],
    ["0 10 * * 0,6", "UTC", "every Saturday and Sunday at 10:00 UTC"],
    ["0 8 * * 1,3,5", "UTC", "every Monday, Wednesday and Friday at 08:00 UTC"],
    ["0 8 * * 7", "UTC", "every Sunday at 08:00 UTC"],
    ["15 6 1 * *", "UTC", "on day 1 of every month at 06:15 UTC"],
    ["0 0 25 12 *", "UTC", "every year on 25 December at 00:00 UTC"],
  ])("%s in %s", (expr, zone, words) => {
    expect(describeCron(expr, zone)).toBe(words);
  });

  it("shows a shape it does not know as the expression", () => {
    expect(describeCron("*/5 9-17 * * 1-5", "UTC")).toBe('cron "*/5 9-17 * * 1-5" UTC');
    expect(describeCron("not a cron")).toBe('cron "not a cron" UTC');
  });
});

describe("cron validation", () => {
  it("accepts five-field expressions and refuses the rest with a reason", () => {
    expect(cronProblem("0 9 * * 1-5")).toBeNull();
    expect(cronProblem("0 9 * *")).toMatch(/five fields/);
    expect(cronProblem("61 9 * * *")).toBeTruthy();
    expect(cronProblem("0 9 * * funday")).toBeTruthy();
  });

  it("knows IANA zones", () => {
    expect(isTimeZone("Europe/Berlin")).toBe(true);
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("Mars/Olympus")).toBe(false);
  });
});

describe("next runs", () => {
  it("counts in the schedule's zone, across a daylight-saving change", () => {
    // 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer (the change: 2026-03-29).
    expect(nextCronRun("0 9 * * *", "Europe/Berlin", new Date("2026-03-27T12:00:00Z")).toISOString()).toBe(
      "2026-03-28T08:00:00.000Z",
    );
    expect(nextCronRun("0 9 * * *", "Europe/Berlin", new Date("2026-03-28T12:00:00Z")).toISOString()).toBe(
      "2026-03-29T07:00:00.000Z",
    );
  });

  it("is strictly after the given time", () => {
    const at = new Date("2026-01-05T09:00:00Z");
    expect(nextCronRun("0 9 * * *", "UTC", at).toISOString()).toBe("2026-01-06T09:00:00.000Z");
  });

  it("a one-off runs at its time; a schedule with neither never runs", () => {
    const runAt = new Date("2026-06-01T10:00:00Z");
    expect(nextRunFor({ cron: null, timezone: "UTC", runAt }, new Date("2026-01-01"))).toEqual(runAt);
    expect(nextRunFor({ cron: null, timezone: "UTC", runAt: null }, new Date())).toBeNull();
  });
});
