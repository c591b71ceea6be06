// The maintenance state a page is rendered with (the root layout), so the banner is there from the
// first paint; changes after that arrive on socket.io `/system`.
import { logger } from "../server/logger";
import { redis } from "../server/redis";
import { readMaintenance } from "./state";
import { NO_MAINTENANCE, type MaintenanceView } from "./view";

export async function maintenanceAtPageLoad(): Promise<MaintenanceView> {
  try {
    return await readMaintenance(redis());
  } catch (err) {
    // The page still renders; /readyz reports Redis down.
    logger().warn({ err }, "page rendered without the maintenance state");
    return NO_MAINTENANCE;
  }
}
