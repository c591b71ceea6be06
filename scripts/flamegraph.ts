// A V8 CPU profile (node --cpu-prof) as a flame graph SVG: one box per call path, as wide as the
// time spent in it and what it called, callers below callees; hovering a box names the function, its
// file and its share. Paths under 0.1 % of the samples are left out. Idle time is left out too, so
// the widths are shares of the time the process was busy.
// Run: npx tsx scripts/flamegraph.ts profile.cpuprofile out.svg ["title"]
import fs from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}
interface Frame {
  name: string;
  where: string;
  self: number;
  total: number;
  children: Map<string, Frame>;
}

const [input, output, title = "CPU profile"] = process.argv.slice(2);
if (!input || !output) throw new Error("usage: flamegraph.ts profile.cpuprofile out.svg [title]");
const profile = JSON.parse(fs.readFileSync(input, "utf8")) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
const spent = new Map<number, number>();
profile.samples.forEach((id, i) => spent.set(id, (spent.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

/** A file as short as still says where it is: the package, or the path inside the project. */
function shortUrl(url: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  if (pkg) return `${pkg[1]}: ${pkg[2]!.split("/").slice(-2).join("/")}`;
  const project = /\/(lib|server|app|workers|\.next)\/(.*)$/.exec(url);
  return project ? `${project[1]}/${project[2]}` : url.replace(/^file:\/\//, "");
}

const root: Frame = { name: "all", where: "", self: 0, total: 0, children: new Map() };
for (const [id, time] of spent) {
  const path: ProfileNode[] = [];
  for (let cur: number | undefined = id; cur !== undefined; cur = parentOf.get(cur))
    path.unshift(byId.get(cur)!);
  const leaf = path.at(-1)!.callFrame.functionName;
  if (leaf === "(idle)") continue;
  let frame = root;
  root.total += time;
  for (const n of path.slice(1)) {
    const { functionName, url, lineNumber } = n.callFrame;
    const key = `${functionName}|${url}|${lineNumber}`;
    let child = frame.children.get(key);
    if (!child) {
      child = {
        name: functionName || "(anonymous)",
        where: url ? `${shortUrl(url)}:${lineNumber + 1}` : "",
        self: 0,
        total: 0,
        children: new Map(),
      };
      frame.children.set(key, child);
    }
    child.total += time;
    frame = child;
  }
  frame.self += time;
}

const WIDTH = 1800;
const ROW = 17;
const MIN_SHARE = 0.001;
const boxes: string[] = [];
let depthMax = 0;
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A warm color per file, stable across runs, so one module's boxes look alike. */
function color(where: string): string {
  let h = 0;
  for (const ch of where.split(":")[0] ?? "") h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${(h % 50) + 5}, ${60 + (h % 30)}%, ${55 + (h % 20)}%)`;
}

function layout(frame: Frame, x: number, depth: number): void {
  const share = frame.total / root.total;
  if (share < MIN_SHARE) return;
  depthMax = Math.max(depthMax, depth);
  const w = share * WIDTH;
  const label = `${frame.name} ${frame.where}`;
  const tip = `${label} (${(share * 100).toFixed(1)} %, self ${((frame.self / root.total) * 100).toFixed(1)} %)`;
  boxes.push(
    `<g><title>${esc(tip)}</title><rect x="${x.toFixed(1)}" y="DEPTH${depth}" width="${w.toFixed(1)}" height="${ROW - 1}" fill="${color(frame.where)}"/>` +
      (w > 50
        ? `<text x="${(x + 3).toFixed(1)}" y="TEXT${depth}">${esc(label.slice(0, Math.floor(w / 7)))}</text>`
        : "") +
      "</g>",
  );
  let cx = x;
  for (const child of [...frame.children.values()].sort((a, b) => b.total - a.total)) {
    layout(child, cx, depth + 1);
    cx += (child.total / root.total) * WIDTH;
  }
}
layout(root, 0, 0);

const height = (depthMax + 1) * ROW + 40;
const svg = boxes
  .join("\n")
  .replace(/y="DEPTH(\d+)"/g, (_m, d: string) => `y="${height - 10 - (Number(d) + 1) * ROW}"`)
  .replace(/y="TEXT(\d+)"/g, (_m, d: string) => `y="${height - 10 - Number(d) * ROW - 5}"`);
fs.writeFileSync(
  output,
  `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="monospace" font-size="11">
<rect width="100%" height="100%" fill="#fff"/>
<text x="4" y="16" font-size="14">${esc(title)} — ${(root.total / 1e6).toFixed(1)} s busy (idle left out; hover a box for its share)</text>
${svg}
</svg>
`,
);
console.log(`${output}: ${boxes.length} boxes, ${(root.total / 1e6).toFixed(1)} s busy`);
