// Runs inside the sandbox (node, cwd /workspace): one file operation read from stdin as JSON,
// answered on stdout as JSON. Only /workspace is writable and nothing of the host beyond /usr is
// visible, so an escape has nowhere to go; symbolic links are still refused so results are clear.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const ROOT = "/workspace";
const MAX_READ = 256 * 1024;

function fail(code, message) {
  process.stdout.write(JSON.stringify({ ok: false, code, message }));
  process.exit(0);
}

function resolveInside(rel) {
  const full = path.resolve(ROOT, rel || ".");
  if (full !== ROOT && !full.startsWith(ROOT + "/")) fail("denied", `path "${rel}" is outside the workspace`);
  // Refuse any symbolic link on the way (a link could point anywhere).
  let cur = ROOT;
  for (const part of path.relative(ROOT, full).split("/").filter(Boolean)) {
    cur = path.join(cur, part);
    let st;
    try {
      st = fs.lstatSync(cur);
    } catch {
      break; // the rest does not exist yet (a write creates it)
    }
    if (st.isSymbolicLink()) fail("denied", `path "${rel}" goes through a symbolic link`);
  }
  return full;
}

let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const op = JSON.parse(input);
  const target = resolveInside(op.path);
  try {
    if (op.action === "list") {
      const entries = fs.readdirSync(target, { withFileTypes: true }).map((e) => ({
        name: e.name,
        type: e.isDirectory() ? "directory" : e.isSymbolicLink() ? "symlink" : "file",
        size: e.isFile() ? fs.statSync(path.join(target, e.name)).size : undefined,
      }));
      process.stdout.write(JSON.stringify({ ok: true, result: { path: op.path || ".", entries } }));
    } else if (op.action === "read") {
      const fd = fs.openSync(target, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(size, MAX_READ));
      fs.readSync(fd, buf, 0, buf.length, 0);
      fs.closeSync(fd);
      process.stdout.write(
        JSON.stringify({
          ok: true,
          result: { path: op.path, size, truncated: size > MAX_READ, content: buf.toString("utf8") },
        }),
      );
    } else if (op.action === "write") {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const fd = fs.openSync(
        target,
        fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW,
        0o644,
      );
      fs.writeSync(fd, op.content ?? "");
      fs.closeSync(fd);
      process.stdout.write(
        JSON.stringify({ ok: true, result: { path: op.path, bytes: Buffer.byteLength(op.content ?? "") } }),
      );
    } else {
      fail("invalid", `unknown action ${op.action}`);
    }
  } catch (err) {
    const code = err && err.code;
    fail(
      code === "ENOENT" ? "not_found" : code === "ELOOP" ? "denied" : "failed",
      `${op.action} ${op.path}: ${code || err.message}`,
    );
  }
});
