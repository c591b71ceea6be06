// The frames a CPU profile (`node --cpu-prof`) spends its time in, as text: the top frames by self
// time (the frame itself) and by inclusive time (the frame and what it called, a frame counted once
// per stack even when recursive), and the share by where the code comes from (a package, Node, the
// project). Idle time is left out: shares are of the CPU the process used.
// Run: npx tsx scripts/profile-top.ts <profile.cpuprofile> [--from ms] [--to ms] [--top 30]
import fs from "node:fs";
import path from "node:path";
import { fold, type CpuProfile } from "./flamegraph";

/** Where a frame's code comes from: its package, node:, the project's top folder, or V8's own. */
export function origin(frame: string): string {
  const where = frame.slice(frame.lastIndexOf(" ") + 1);
  if (frame.startsWith("(")) return frame.split(" ")[0]!;
  if (where.startsWith("node:")) return "node";
  if (where.startsWith(".next/")) return ".next";
  const scoped = /^(@[^/]+\/[^/]+)\//.exec(where);
  if (scoped) return scoped[1]!;
  const top = /^([^/:]+)\//.exec(where);
  return top ? top[1]! : "(native)";
}

export function summarise(folded: Map<string, number>) {
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  let total = 0;
  for (const [stack, us] of folded) {
    total += us;
    const frames = stack.split(";");
    const leaf = frames.at(-1)!;
    self.set(leaf, (self.get(leaf) ?? 0) + us);
    byOrigin.set(origin(leaf), (byOrigin.get(origin(leaf)) ?? 0) + us);
    for (const f of new Set(frames)) inclusive.set(f, (inclusive.get(f) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { total, self: sorted(self), inclusive: sorted(inclusive), byOrigin: sorted(byOrigin) };
}

function main(argv: string[]) {
  const opts = new Map<string, string>();
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--")) opts.set(a.slice(2), argv[++i] ?? "");
    else args.push(a);
  }
  const [input] = args;
  if (!input) {
    console.error(
      "usage: npx tsx scripts/profile-top.ts <profile.cpuprofile> [--from ms] [--to ms] [--top n]",
    );
    process.exit(2);
  }
  const ms = (k: string, d: number) => (opts.has(k) ? Number(opts.get(k)) * 1000 : d);
  const profile = JSON.parse(fs.readFileSync(input, "utf8")) as CpuProfile;
  const folded = fold(profile, ms("from", 0), ms("to", Infinity));
  const top = Number(opts.get("top") ?? 30);
  const { total, self, inclusive, byOrigin } = summarise(folded);
  const row = ([name, us]: [string, number]) =>
    `${(us / 1000).toFixed(0).padStart(7)} ms ${((us / total) * 100).toFixed(1).padStart(5)} %  ${name}`;
  console.log(`${path.basename(input)}: ${(total / 1000).toFixed(0)} ms of CPU (idle left out)`);
  console.log(`\nself time, top ${top}:`);
  for (const r of self.slice(0, top)) console.log(row(r));
  console.log(`\ninclusive time, top ${top}:`);
  for (const r of inclusive.slice(0, top)) console.log(row(r));
  console.log(`\nself time by origin:`);
  for (const r of byOrigin.slice(0, 25)) console.log(row(r));
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename))
  main(process.argv.slice(2));
