// `make maintenance on|off|status [MESSAGE="…"] [UNTIL=<ISO time>]`: maintenance mode from the
// operator's shell, through the same code as POST/DELETE /api/v1/admin/maintenance
// (lib/maintenance/state.ts) straight on Redis, so it works while load balancers send the gateways
// nothing (their /readyz says `draining`). Audited as a system action naming the OS user.
// Usage: tsx scripts/maintenance.ts on|off|status   (MESSAGE and UNTIL from the environment)
import os from "node:os";
import { loadConfigOrExit } from "../server/config";
import { writeAudit } from "../lib/audit/log";
import { fromZod } from "../lib/errors";
import { startMaintenanceBody } from "../lib/maintenance/schemas";
import { endMaintenance, readMaintenance, startMaintenance } from "../lib/maintenance/state";
import type { MaintenanceView } from "../lib/maintenance/view";
import { db } from "../lib/server/db";
import { redis } from "../lib/server/redis";

const DEFAULT_MESSAGE = "SomaAgent is being updated and will be back shortly.";

function describe(view: MaintenanceView): string {
  if (!view.active) return "maintenance: off";
  return `maintenance: ON since ${view.since ?? "?"}${view.until ? ` until ${view.until}` : " (until switched off)"}: ${view.message ?? ""}`;
}

async function main(action: string | undefined): Promise<number> {
  loadConfigOrExit("maintenance");
  const actor = { actorType: "system" as const, resource: "maintenance" };
  const via = { via: "make maintenance", osUser: os.userInfo().username, host: os.hostname() };
  if (action === "on") {
    const parsed = startMaintenanceBody.safeParse({
      message: process.env.MESSAGE || DEFAULT_MESSAGE,
      ...(process.env.UNTIL ? { until: process.env.UNTIL } : {}),
    });
    if (!parsed.success) throw fromZod(parsed.error, "MESSAGE/UNTIL");
    const view = await startMaintenance(redis(), parsed.data);
    await writeAudit({
      ...actor,
      action: "maintenance.start",
      outcome: "success",
      details: { message: view.message, until: view.until, ...via },
    });
    console.log(describe(view));
    return 0;
  }
  if (action === "off") {
    const { view, wasActive } = await endMaintenance(redis());
    await writeAudit({
      ...actor,
      action: "maintenance.end",
      outcome: "success",
      details: { wasActive, ...via },
    });
    console.log(wasActive ? describe(view) : "maintenance: was already off");
    return 0;
  }
  if (action === "status" || action === undefined) {
    console.log(describe(await readMaintenance(redis())));
    return 0;
  }
  console.error(`unknown action "${action}": use on, off or status`);
  return 64; // EX_USAGE
}

main(process.argv[2]).then(
  async (code) => {
    await db().$disconnect();
    redis().disconnect();
    process.exit(code);
  },
  (err: unknown) => {
    console.error(`maintenance: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
