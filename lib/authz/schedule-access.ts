// Who may see and change a schedule, decided by OpenFGA (conf/openfga/model.json): its owner and the
// admins of its tenant (can_manage). Failing to reach OpenFGA is a 503, never an allow.
import { ClientWriteRequestOnMissingDeletes } from "@openfga/sdk";
import { AppError } from "../errors";
import { fga } from "../server/openfga";
import { logger } from "../server/logger";

const unavailable = (cause: unknown) =>
  new AppError("unavailable", "Permissions cannot be checked right now; try again shortly.", {
    cause,
    headers: { "retry-after": "5" },
  });

const tuples = (tenantId: string, ownerId: string, scheduleId: string) => [
  { user: `tenant:${tenantId}`, relation: "tenant", object: `schedule:${scheduleId}` },
  { user: `user:${ownerId}`, relation: "owner", object: `schedule:${scheduleId}` },
];

export async function canManageSchedule(userId: string, scheduleId: string): Promise<boolean> {
  try {
    const { client } = await fga();
    const r = await client.check({
      user: `user:${userId}`,
      relation: "can_manage",
      object: `schedule:${scheduleId}`,
    });
    return r.allowed === true;
  } catch (err) {
    logger().warn({ err: (err as Error).message, scheduleId }, "OpenFGA check failed");
    throw unavailable(err);
  }
}

/** The tuples of a new schedule: its tenant and its owner. */
export async function grantNewSchedule(tenantId: string, ownerId: string, scheduleId: string): Promise<void> {
  try {
    await (await fga()).client.write({ writes: tuples(tenantId, ownerId, scheduleId) });
  } catch (err) {
    throw unavailable(err);
  }
}

/** Removes a deleted schedule's tuples; ones already gone are not an error. */
export async function revokeSchedule(tenantId: string, ownerId: string, scheduleId: string): Promise<void> {
  try {
    await (
      await fga()
    ).client.write(
      { deletes: tuples(tenantId, ownerId, scheduleId) },
      { conflict: { onMissingDeletes: ClientWriteRequestOnMissingDeletes.Ignore } },
    );
  } catch (err) {
    throw unavailable(err);
  }
}
