// The tool host: a child process of the executor that runs tools (and spawns their sandboxes).
import type { HostReply, HostRequest } from "../../lib/executor/tool-host-protocol";
import { findTool } from "../../lib/tools/registry";
import { db } from "../../lib/server/db";

process.on("message", (req: HostRequest) => {
  void (async () => {
    const tool = findTool(req.tool);
    let reply: HostReply;
    if (!tool) {
      reply = { id: req.id, outcome: { status: "failed", error: `unknown tool "${req.tool}"` } };
    } else {
      try {
        const args = tool.args.parse(req.args) as never;
        reply = { id: req.id, outcome: await tool.run(args, { ...req.ctx, db: db() }) };
      } catch (err) {
        reply = {
          id: req.id,
          outcome: { status: "failed", error: err instanceof Error ? err.message : String(err) },
        };
      }
    }
    process.send?.(reply);
  })();
});
process.on("disconnect", () => process.exit(0));
