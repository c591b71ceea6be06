// The tool host: a child process of the executor that runs tools (and spawns their sandboxes).
import type { HostCancel, HostReply, HostRequest } from "../../lib/executor/tool-host-protocol";
import { findTool } from "../../lib/tools/registry";
import { db } from "../../lib/server/db";
import { closeWarmSandboxes, setWarmSandboxes } from "../../lib/sandbox/run";

// Made once here rather than in a session's first call (it connects on first use).
db();

const running = new Map<number, AbortController>();

process.on("message", (msg: HostRequest | HostCancel) => {
  if ("cancel" in msg) {
    running.get(msg.cancel)?.abort();
    return;
  }
  const req = msg;
  setWarmSandboxes(req.warmSandboxes);
  const controller = new AbortController();
  running.set(req.id, controller);
  void (async () => {
    const tool = findTool(req.tool);
    let reply: HostReply;
    if (!tool) {
      reply = { id: req.id, outcome: { status: "failed", error: `unknown tool "${req.tool}"` } };
    } else {
      try {
        const args = tool.args.parse(req.args) as never;
        reply = {
          id: req.id,
          outcome: await tool.run(args, { ...req.ctx, db: db(), signal: controller.signal }),
        };
      } catch (err) {
        reply = {
          id: req.id,
          outcome: { status: "failed", error: err instanceof Error ? err.message : String(err) },
        };
      }
    }
    running.delete(req.id);
    process.send?.(reply);
  })();
});
// The executor is gone (stopped, or killed): take every running call's sandbox down with this host.
// Aborting kills each sandbox's process group at once; a sandbox whose bwrap has not started yet
// would otherwise outlive us, since bwrap's --die-with-parent only covers a parent alive at its start.
process.on("disconnect", () => {
  for (const controller of running.values()) controller.abort();
  closeWarmSandboxes();
  process.exit(0);
});
