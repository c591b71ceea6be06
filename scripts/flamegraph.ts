// A flame graph (SVG) from a V8 CPU profile (`node --cpu-prof`), with no dependency: the profile's
// samples are folded into stacks (root first), merged into a tree by frame name, and drawn as one
// rectangle per frame, as wide as the CPU time spent in it and everything it called, its callers
// below it. Hovering a rectangle shows its frame, milliseconds and share (an SVG <title>). Idle time is
// left out, so widths are shares of the CPU the process used.
// Run: npx tsx scripts/flamegraph.ts <profile.cpuprofile> <out.svg> [--title "…"] [--from ms] [--to ms]
//      [--folded out.txt]
// --from/--to keep only the samples taken that many ms after the profile started (a bench prints the
// window it counted); --folded also writes the folded stacks (`a;b;c <µs>`, one a line).
import fs from "node:fs";
import path from "node:path";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

interface Frame {
  name: string;
  /** µs in this frame and below. */
  total: number;
  children: Map<string, Frame>;
}

const SKIPPED = new Set(["(idle)", "(root)"]);

/** A frame's label: function, then where (shortened to the package or the project's own path). */
export function frameName(f: CallFrame): string {
  const fn = f.functionName || "(anonymous)";
  if (!f.url) return fn;
  let where = f.url.replace(/^file:\/\//, "");
  const nm = where.lastIndexOf("/node_modules/");
  if (nm >= 0) where = where.slice(nm + "/node_modules/".length);
  else if (where.includes("/.next/")) where = where.slice(where.indexOf("/.next/") + 1);
  else {
    for (const top of ["/lib/", "/server/", "/app/", "/bench/", "/workers/"]) {
      const i = where.lastIndexOf(top);
      if (i >= 0) {
        where = where.slice(i + 1);
        break;
      }
    }
  }
  return `${fn} ${where}:${f.lineNumber + 1}`;
}

/** Folded stacks (root first) with the µs sampled in each, within [fromUs, toUs) of the profile. */
export function fold(profile: CpuProfile, fromUs = 0, toUs = Infinity): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stackOf = new Map<number, string | null>();
  const stack = (id: number): string | null => {
    const known = stackOf.get(id);
    if (known !== undefined) return known;
    const names: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = frameName(byId.get(at)!.callFrame);
      if (name === "(idle)") {
        stackOf.set(id, null);
        return null;
      }
      if (!SKIPPED.has(name)) names.push(name.replaceAll(";", ","));
    }
    const s = names.reverse().join(";");
    stackOf.set(id, s);
    return s;
  };
  const folded = new Map<string, number>();
  let t = 0;
  // A sample's time: the delta to the next sample (the last one gets the previous delta).
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const dt = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
    if (t < fromUs || t >= toUs || dt <= 0) continue;
    const s = stack(profile.samples[i]!);
    if (!s) continue;
    folded.set(s, (folded.get(s) ?? 0) + dt);
  }
  return folded;
}

function tree(folded: Map<string, number>): Frame {
  const root: Frame = { name: "all", total: 0, children: new Map() };
  for (const [s, us] of folded) {
    root.total += us;
    let at = root;
    for (const name of s.split(";")) {
      let next = at.children.get(name);
      if (!next) at.children.set(name, (next = { name, total: 0, children: new Map() }));
      next.total += us;
      at = next;
    }
  }
  return root;
}

const escape = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/** Warm colours for JavaScript, by where it comes from: the project, a package, Node itself. */
function colour(name: string): string {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const jitter = h % 40;
  if (/ (lib|server|app|bench|workers)\//.test(name) || name.includes(" .next/"))
    return `rgb(230,${120 + jitter},50)`;
  if (name.includes(" node:") || /^\(/.test(name)) return `rgb(${200 + (jitter % 30)},${180 + jitter},120)`;
  return `rgb(240,${170 + jitter},${60 + jitter})`;
}

export function renderSvg(folded: Map<string, number>, title: string): string {
  const root = tree(folded);
  const width = 1600;
  const rowH = 16;
  const rows: { x: number; depth: number; w: number; f: Frame }[] = [];
  let maxDepth = 0;
  const walk = (f: Frame, x: number, depth: number) => {
    const w = (f.total / root.total) * (width - 20);
    if (w < 0.3) return;
    rows.push({ x, depth, w, f });
    maxDepth = Math.max(maxDepth, depth);
    let cx = x;
    for (const c of [...f.children.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      walk(c, cx, depth + 1);
      cx += (c.total / root.total) * (width - 20);
    }
  };
  if (root.total > 0) walk(root, 10, 0);
  const height = (maxDepth + 1) * rowH + 60;
  const y = (depth: number) => height - 20 - (depth + 1) * rowH;
  const ms = (us: number) => (us / 1000).toFixed(us >= 10_000 ? 0 : 1);
  const rects = rows.map(({ x, depth, w, f }) => {
    const label = `${f.name} (${ms(f.total)} ms, ${((f.total / root.total) * 100).toFixed(2)}%)`;
    const chars = Math.floor((w - 4) / 6.5);
    const text =
      chars >= 3
        ? `<text x="${(x + 2).toFixed(1)}" y="${y(depth) + 11}">${escape(f.name.length > chars ? `${f.name.slice(0, chars - 1)}…` : f.name)}</text>`
        : "";
    return `<g><title>${escape(label)}</title><rect x="${x.toFixed(1)}" y="${y(depth)}" width="${w.toFixed(1)}" height="${rowH - 1}" fill="${f.name === "all" ? "rgb(200,200,200)" : colour(f.name)}"/>${text}</g>`;
  });
  return [
    `<?xml version="1.0" standalone="no"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="11">`,
    `<rect width="100%" height="100%" fill="rgb(250,250,245)"/>`,
    `<text x="10" y="20" font-size="14">${escape(title)}</text>`,
    `<text x="10" y="38" fill="rgb(90,90,90)">${escape(`${ms(root.total)} ms of CPU sampled (idle left out); width = CPU time of a frame and its callees; hover for figures`)}</text>`,
    ...rects,
    `</svg>`,
    "",
  ].join("\n");
}

function main(argv: string[]) {
  const args: string[] = [];
  const opts = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--")) opts.set(a.slice(2), argv[++i] ?? "");
    else args.push(a);
  }
  const [input, output] = args;
  if (!input || !output) {
    console.error(
      "usage: npx tsx scripts/flamegraph.ts <profile.cpuprofile> <out.svg> [--title …] [--from ms] [--to ms] [--folded out.txt]",
    );
    process.exit(2);
  }
  const profile = JSON.parse(fs.readFileSync(input, "utf8")) as CpuProfile;
  if (!Array.isArray(profile.nodes) || !Array.isArray(profile.samples))
    throw new Error(`${input} is not a V8 CPU profile (no nodes or samples)`);
  const num = (k: string, d: number) => {
    const v = opts.get(k);
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${k} must be a number of ms, not "${v}"`);
    return n * 1000;
  };
  const folded = fold(profile, num("from", 0), num("to", Infinity));
  const foldedOut = opts.get("folded");
  if (foldedOut)
    fs.writeFileSync(foldedOut, [...folded].map(([s, us]) => `${s} ${Math.round(us)}`).join("\n") + "\n");
  fs.mkdirSync(path.dirname(path.resolve(output)), { recursive: true });
  fs.writeFileSync(output, renderSvg(folded, opts.get("title") ?? path.basename(input)));
  const total = [...folded.values()].reduce((a, b) => a + b, 0);
  console.log(`${output}: ${(total / 1000).toFixed(0)} ms of CPU in ${folded.size} stacks`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename))
  main(process.argv.slice(2));
