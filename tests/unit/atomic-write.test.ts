// tmp/settings.json survives a crash during a write: a process killed while writing leaves the old
// file whole (and a stale temporary file the next write removes).
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { removeStaleTemps, writeFileAtomic } from "@/lib/settings/atomic-write";

const ROOT = path.resolve(import.meta.dirname, "../..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "soma-atomic-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("writeFileAtomic", () => {
  it("leaves the previous file whole when the writing process is killed mid-write", async () => {
    const file = path.join(dir, "settings.json");
    const old = JSON.stringify({ models: { chat: { temperature: 0.3 } } });
    fs.writeFileSync(file, old);
    // A child writes ~400 MB through writeFileAtomic and is killed as soon as its temp file grows.
    const script = `
      import { writeFileAtomic } from "./lib/settings/atomic-write.ts";
      writeFileAtomic(${JSON.stringify(file)}, JSON.stringify({ agent: { systemPrompt: "x".repeat(400 * 1024 * 1024) } }));
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: ROOT,
    });
    const temp = () => fs.readdirSync(dir).find((n) => n.endsWith(".tmp"));
    const started = Date.now();
    while (!(temp() && fs.statSync(path.join(dir, temp()!)).size > 0) && Date.now() - started < 20_000)
      await new Promise((r) => setTimeout(r, 5));
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));

    expect(temp()).toBeDefined(); // it really was killed mid-write
    expect(fs.readFileSync(file, "utf8")).toBe(old);
    removeStaleTemps(file);
    expect(temp()).toBeUndefined();
  }, 30_000);

  it("replaces the content and keeps the mode it is given", () => {
    const file = path.join(dir, "keys.json");
    writeFileAtomic(file, "{}", 0o600);
    writeFileAtomic(file, '{"a":"b"}', 0o600);
    expect(fs.readFileSync(file, "utf8")).toBe('{"a":"b"}');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });
});
