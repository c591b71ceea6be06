// workspace_files: list, read and write files of the session's workspace. The operation itself runs
// in the sandbox with only the workspace bound; paths leaving it are refused before and inside.
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { runSandboxed } from "../sandbox/run";
import { defineTool } from "./types";

// Read when the tool runs (in the tool host; Next bundles this module for listing tools, where
// import.meta.dirname is undefined) and passed with -e: the sandbox's uid may not be able to reach
// the checkout to bind the file.
let source: string | undefined;
const script = () =>
  (source ??= fs.readFileSync(path.join(import.meta.dirname, "sandboxed", "workspace-files.cjs"), "utf8"));

/** A relative path that stays inside the workspace, judged lexically ("a/../b" is fine, "../x" is not). */
export function staysInside(rel: string): boolean {
  if (path.isAbsolute(rel) || rel.includes("\0")) return false;
  const norm = path.posix.normalize(rel.replaceAll("\\", "/"));
  return norm !== ".." && !norm.startsWith("../");
}

export const workspaceFilesTool = defineTool({
  name: "workspace_files",
  description: "List, read or write files in this session's workspace (paths are relative to it).",
  args: z.discriminatedUnion("action", [
    z.object({ action: z.literal("list"), path: z.string().max(1024).default(".") }).strict(),
    z.object({ action: z.literal("read"), path: z.string().min(1).max(1024) }).strict(),
    z
      .object({
        action: z.literal("write"),
        path: z.string().min(1).max(1024),
        content: z.string().max(1_000_000),
      })
      .strict(),
  ]),
  needsNetwork: false,
  usesWorkspace: true,
  async run(args, ctx) {
    if (!staysInside(args.path))
      return { status: "denied", error: `path "${args.path}" is outside the workspace` };
    const r = await runSandboxed({
      command: ["node", "--max-old-space-size=64", "-e", script()],
      stdin: JSON.stringify(args),
      workspace: ctx.workspace,
      limits: ctx.limits,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    if (r.outcome !== "exited" || r.exitCode !== 0) {
      return {
        status: r.outcome === "timeout" ? "timeout" : "failed",
        error: r.stderr.trim().split("\n").at(-1) || `workspace operation ended: ${r.outcome}`,
      };
    }
    const reply = JSON.parse(r.stdout) as
      { ok: true; result: unknown } | { ok: false; code: string; message: string };
    if (reply.ok) return { status: "succeeded", output: reply.result };
    return { status: reply.code === "denied" ? "denied" : "failed", error: reply.message };
  },
});
