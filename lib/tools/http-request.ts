// http_request: one HTTP request to a host on the configured allow-list (tools.httpAllowedHosts,
// exact names or "*.example.com"), made from the sandbox, the only tool given network access.
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { runSandboxed } from "../sandbox/run";
import { decideTarget } from "./http-target";
import { resolveHost } from "../net/address";
import { defineTool } from "./types";

// Read when the tool runs (in the tool host; Next bundles this module for listing tools, where
// import.meta.dirname is undefined) and passed with -e: the sandbox's uid may not be able to reach
// the checkout to bind the file.
let source: string | undefined;
const script = () =>
  (source ??= fs.readFileSync(path.join(import.meta.dirname, "sandboxed", "http-request.cjs"), "utf8"));

export function hostAllowed(host: string, allowed: string[]): boolean {
  const h = host.toLowerCase();
  return allowed.some((a) => {
    const p = a.toLowerCase();
    return p.startsWith("*.") ? h.endsWith(p.slice(1)) && h.length > p.length - 1 : h === p;
  });
}

export const httpRequestTool = defineTool({
  name: "http_request",
  description: "Make an HTTP request to an allowed host. Returns status, headers and body (truncated).",
  args: z
    .object({
      method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]).default("GET"),
      url: z.url({ protocol: /^https?$/ }),
      headers: z.record(z.string(), z.string()).default({}),
      body: z.string().max(1_000_000).optional(),
    })
    .strict(),
  needsNetwork: true,
  async run(args, ctx) {
    const host = new URL(args.url).hostname.replace(/^\[|\]$/g, "");
    if (!hostAllowed(host, ctx.httpAllowedHosts)) {
      return {
        status: "denied",
        error: `host "${host}" is not on the allowed list (tools.httpAllowedHosts)`,
      };
    }
    let addresses: { address: string; family: number }[];
    try {
      addresses = await resolveHost(host);
    } catch (err) {
      return {
        status: "failed",
        error: `cannot resolve host "${host}": ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      };
    }
    const exactly = ctx.httpAllowedHosts.some((a) => a.toLowerCase() === host.toLowerCase());
    const target = decideTarget(host, addresses, exactly);
    if (!target.ok) return { status: "denied", error: target.reason };
    const r = await runSandboxed({
      command: ["node", "--max-old-space-size=96", "-e", script()],
      stdin: JSON.stringify({
        ...args,
        address: target.address,
        family: target.family,
        timeoutMs: ctx.limits.timeoutMs - 500,
        maxBytes: Math.floor(ctx.limits.outputBytes / 2),
      }),
      network: true,
      limits: ctx.limits,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    if (r.outcome === "timeout")
      return { status: "timeout", error: `no answer within ${ctx.limits.timeoutMs} ms` };
    if (r.outcome !== "exited" || r.exitCode !== 0)
      return { status: "failed", error: r.stderr.trim().split("\n").at(-1) || r.outcome };
    const reply = JSON.parse(r.stdout) as { ok: true; status: number } | { ok: false; message: string };
    if (!reply.ok) return { status: "failed", error: `request failed: ${reply.message}` };
    const { ok: _ok, ...output } = reply;
    return { status: "succeeded", output };
  },
});
