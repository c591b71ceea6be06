// A cron expression in words for the schedules page ("every weekday at 09:00 Europe/Berlin"). Covers
// the shapes people write by hand; anything else is shown as the expression itself. Pure (the
// browser uses it as the form is typed in).

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const DAY_NAMES: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const MONTH_NAMES = Object.fromEntries(MONTHS.map((m, i) => [m.slice(0, 3).toLowerCase(), i + 1]));

/** The numbers a field lists ("1-5", "1,3,5", "mon-fri"), or null for anything with steps or wildcards. */
function listed(field: string, names: Record<string, number>, max: number): number[] | null {
  const out: number[] = [];
  for (const part of field.toLowerCase().split(",")) {
    const m = /^(\w+)(?:-(\w+))?$/.exec(part);
    if (!m) return null;
    const from = value(m[1]!, names);
    const to = m[2] === undefined ? from : value(m[2], names);
    if (from === null || to === null || from > to || to > max) return null;
    for (let v = from; v <= to; v++) out.push(v);
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

function value(s: string, names: Record<string, number>): number | null {
  if (/^\d+$/.test(s)) return Number(s);
  return names[s] ?? null;
}

function joinWords(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

const pad = (n: number) => String(n).padStart(2, "0");

function daysOfWeek(field: string): string | null {
  const days = listed(field, DAY_NAMES, 7)?.map((d) => d % 7);
  if (!days) return null;
  const set = [...new Set(days)].sort((a, b) => a - b);
  if (set.join() === "1,2,3,4,5") return "every weekday";
  if (set.join() === "0,6") return "every Saturday and Sunday";
  if (set.length === 7) return "every day";
  return `every ${joinWords(set.map((d) => DAYS[d]!))}`;
}

/** The expression in words, the time zone last; null when the shape is not one it knows. */
export function describeCron(expression: string, zone = "UTC"): string {
  const words = describe(expression.trim());
  return words ? `${words} ${zone}` : `cron "${expression.trim()}" ${zone}`;
}

function describe(expression: string): string | null {
  const f = expression.split(/\s+/);
  if (f.length !== 5) return null;
  const [min, hour, dom, mon, dow] = f as [string, string, string, string, string];
  const anyDay = dom === "*" && mon === "*" && dow === "*";

  if (min === "*" && hour === "*" && anyDay) return "every minute";
  const everyMin = /^\*\/(\d+)$/.exec(min);
  if (everyMin && hour === "*" && anyDay) return `every ${everyMin[1]} minutes`;

  const minutes = listed(min, {}, 59);
  if (!minutes || minutes.length !== 1) return null;
  const m = minutes[0]!;
  if (hour === "*" && anyDay) return m === 0 ? "every hour, on the hour" : `every hour at minute ${m}`;
  const everyHour = /^\*\/(\d+)$/.exec(hour);
  if (everyHour && anyDay) return `every ${everyHour[1]} hours at minute ${m}`;

  const hours = listed(hour, {}, 23);
  if (!hours) return null;
  const at = `at ${joinWords(hours.map((h) => `${pad(h)}:${pad(m)}`))}`;

  if (dom === "*" && mon === "*") {
    const days = dow === "*" ? "every day" : daysOfWeek(dow);
    return days ? `${days} ${at}` : null;
  }
  if (dow !== "*") return null;
  const dates = listed(dom, {}, 31);
  if (!dates || dates.some((d) => d < 1)) return null;
  const on = joinWords(dates.map(String));
  if (mon === "*") return `on day ${on} of every month ${at}`;
  const months = listed(mon, MONTH_NAMES, 12);
  if (!months || months.some((x) => x < 1)) return null;
  return `every year on ${on} ${joinWords(months.map((x) => MONTHS[x - 1]!))} ${at}`;
}
