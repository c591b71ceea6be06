// Maintenance mode, shared by every gateway through Redis: one key holding the admin's message (it
// expires by itself at `until`), and a channel announcing each change so every gateway pushes it to
// its open pages at once. While it is on, new turns and voice calls are refused (503 `maintenance`,
// Retry-After) and /readyz says `draining`; turns already running finish.
import type { Redis } from "ioredis";
import { AppError } from "../errors";
import { inForce, NO_MAINTENANCE, type MaintenanceView } from "./view";
import type { StartMaintenance } from "./schemas";
import { MAINTENANCE_CHANNEL, maintenanceChangedHere, maintenanceWatch } from "./watch";

export { MAINTENANCE_CHANNEL };
export const MAINTENANCE_KEY = "maintenance";
/** Retry-After when maintenance has no end time. */
const OPEN_ENDED_RETRY_S = 60;

interface Stored {
  message: string;
  since: string;
  until: string | null;
}

function parse(raw: string | null): MaintenanceView {
  if (!raw) return NO_MAINTENANCE;
  const stored = JSON.parse(raw) as Stored;
  return { active: true, message: stored.message, since: stored.since, until: stored.until };
}

export async function readMaintenance(redis: Redis): Promise<MaintenanceView> {
  return parse(await redis.get(MAINTENANCE_KEY));
}

/** Switches maintenance on (or changes its message or end), and tells every gateway. */
export async function startMaintenance(
  redis: Redis,
  body: StartMaintenance,
  now = new Date(),
): Promise<MaintenanceView> {
  const until = body.until ? new Date(body.until) : null;
  if (until && until.getTime() <= now.getTime())
    throw new AppError("invalid_request", "Invalid request body: until: must be in the future", {
      details: [{ field: "until", message: "must be in the future" }],
    });
  const previous = await readMaintenance(redis);
  const stored: Stored = {
    message: body.message,
    // Changing the message of a maintenance already on keeps when it began.
    since: previous.since ?? now.toISOString(),
    until: until?.toISOString() ?? null,
  };
  const raw = JSON.stringify(stored);
  if (until) await redis.set(MAINTENANCE_KEY, raw, "PX", until.getTime() - now.getTime());
  else await redis.set(MAINTENANCE_KEY, raw);
  const view = parse(raw);
  maintenanceChangedHere(view);
  await redis.publish(MAINTENANCE_CHANNEL, JSON.stringify(view));
  return view;
}

/** Switches maintenance off; `wasActive` says whether it was on. */
export async function endMaintenance(redis: Redis): Promise<{ view: MaintenanceView; wasActive: boolean }> {
  const removed = await redis.del(MAINTENANCE_KEY);
  maintenanceChangedHere(NO_MAINTENANCE);
  await redis.publish(MAINTENANCE_CHANNEL, JSON.stringify(NO_MAINTENANCE));
  return { view: NO_MAINTENANCE, wasActive: removed > 0 };
}

/** A change announced on MAINTENANCE_CHANNEL. */
export function parseAnnouncement(raw: string): MaintenanceView {
  return JSON.parse(raw) as MaintenanceView;
}

export function maintenanceError(view: MaintenanceView, now = Date.now()): AppError {
  const retryS = view.until
    ? Math.max(1, Math.ceil((Date.parse(view.until) - now) / 1000))
    : OPEN_ENDED_RETRY_S;
  // The end time is in `details` (and Retry-After): pages show it in the reader's own time zone.
  return new AppError("maintenance", `SomaAgent is in maintenance: ${view.message ?? ""}`.trim(), {
    details: { message: view.message, until: view.until },
    headers: { "retry-after": String(retryS) },
  });
}

/**
 * Throws 503 `maintenance` while maintenance is on: new turns and calls call this first. The state
 * comes from the process's copy while it is current (lib/maintenance/watch.ts), else from Redis.
 */
export async function refuseDuringMaintenance(redis: Redis): Promise<void> {
  const view = await maintenanceWatch().current(() => readMaintenance(redis));
  if (inForce(view)) throw maintenanceError(view);
}
