// Makes kubeconform schemas from the kubernetes-validate package's: each resource kind's schema there
// points into a shared _definitions.json by an absolute "/api/_definitions.json#/$defs/…" reference,
// which kubeconform cannot follow from a local folder. This copies every resource kind (the schemas
// that carry x-kubernetes-group-version-kind) with the definitions it reaches inlined under $defs, so
// each file stands alone. Usage: node scripts/k8s-schemas.mjs <package schema dir> <output dir>
import fs from "node:fs";
import path from "node:path";
import process from "node:process";

const [from, to] = process.argv.slice(2);
if (!from || !to) {
  process.stderr.write("usage: node scripts/k8s-schemas.mjs <package schema dir> <output dir>\n");
  process.exit(2);
}
const defs = JSON.parse(fs.readFileSync(path.join(from, "_definitions.json"), "utf8")).$defs;
const REF = /^(?:\/api\/_definitions\.json)?#\/\$defs\/(.+)$/;

/** Rewrites every $ref to a local #/$defs/… one and adds the names it reaches to `seen`. */
function localise(node, seen, queue) {
  if (Array.isArray(node)) return node.map((n) => localise(n, seen, queue));
  if (node === null || typeof node !== "object") return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "$ref" && typeof v === "string") {
      const m = REF.exec(v);
      if (!m) throw new Error(`unexpected $ref ${v}`);
      const name = decodeURIComponent(m[1]);
      if (!(name in defs)) throw new Error(`$ref to a missing definition ${name}`);
      if (!seen.has(name)) {
        seen.add(name);
        queue.push(name);
      }
      out[k] = `#/$defs/${m[1]}`;
    } else out[k] = localise(v, seen, queue);
  }
  return out;
}

fs.rmSync(to, { recursive: true, force: true });
fs.mkdirSync(to, { recursive: true });
let kinds = 0;
for (const file of fs.readdirSync(from).sort()) {
  if (!file.endsWith(".json") || file.startsWith("_") || file === "all.json") continue;
  const schema = JSON.parse(fs.readFileSync(path.join(from, file), "utf8"));
  if (!schema["x-kubernetes-group-version-kind"]) continue; // a part of a kind, not a kind
  const seen = new Set();
  const queue = [];
  const root = localise(schema, seen, queue);
  const local = {};
  while (queue.length > 0) {
    const name = queue.shift();
    local[name] = localise(defs[name], seen, queue);
  }
  delete root.$id; // the package's absolute $id would make local refs resolve against kubernetes.io
  fs.writeFileSync(path.join(to, file), JSON.stringify({ ...root, $defs: local }));
  kinds++;
}
if (kinds < 100) throw new Error(`only ${kinds} resource kinds in ${from}: not the package layout expected`);
fs.writeFileSync(path.join(to, ".complete"), `${kinds} kinds\n`);
process.stdout.write(`${kinds} resource kinds written to ${to}\n`);
