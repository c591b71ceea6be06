// A tenant admin disables or enables a user of their tenant, or changes their role. Postgres and
// OpenFGA change together (the OpenFGA write happens inside the transaction, so a failure there
// changes nothing), then everything the user has open or cached ends (endUserAccess): their sockets
// and SSE streams are told why and closed, their web sessions end, their tokens are looked up again.
import type { Redis } from "ioredis";
import type { Principal } from "../auth/principal";
import { endUserAccess } from "../auth/end-user-access";
import { setTenantRelation, tenantRelation } from "../authz/tenant-role";
import { AppError } from "../errors";
import { isUuid } from "../ids";
import type { Db } from "../server/db";
import { toUserView, USER_SELECT, type UserChange, type UserView } from "./schemas";

export interface UserUpdate {
  user: UserView;
  /** What changed, as {field: [before, after]}; empty when the request changed nothing. */
  changes: { disabled?: [boolean, boolean]; role?: [string, string] };
}

const notFound = () => new AppError("not_found", "No such user in your tenant.");

export async function updateUser({
  db,
  redis,
  actor,
  userId,
  change,
}: {
  db: Db;
  redis: Redis;
  actor: Principal;
  userId: string;
  change: UserChange;
}): Promise<UserUpdate> {
  if (!isUuid(userId)) throw notFound();
  const result = await db.$transaction(async (tx) => {
    // One change per tenant at a time, so two admins demoting each other cannot leave none.
    await tx.$queryRaw`SELECT id FROM tenants WHERE id = ${actor.tenantId}::uuid FOR UPDATE`;
    const before = await tx.user.findFirst({
      where: { id: userId, tenantId: actor.tenantId },
      select: USER_SELECT,
    });
    if (!before) throw notFound();
    const wasDisabled = before.disabledAt !== null;
    const disabled = change.disabled ?? wasDisabled;
    const role = change.role ?? before.role;
    const changes: UserUpdate["changes"] = {
      ...(disabled !== wasDisabled ? { disabled: [wasDisabled, disabled] as [boolean, boolean] } : {}),
      ...(role !== before.role ? { role: [before.role, role] as [string, string] } : {}),
    };
    if (!changes.disabled && !changes.role) return { user: toUserView(before), changes };

    if (userId === actor.userId && disabled)
      throw new AppError(
        "conflict",
        "You cannot disable your own account; another admin of your tenant can.",
        {
          details: [{ field: "disabled", message: "cannot disable yourself" }],
        },
      );
    const wasActiveAdmin = before.role === "admin" && !wasDisabled;
    if (wasActiveAdmin && (role !== "admin" || disabled)) {
      const otherAdmins = await tx.user.count({
        where: { tenantId: actor.tenantId, role: "admin", disabledAt: null, id: { not: userId } },
      });
      if (otherAdmins === 0)
        throw new AppError(
          "conflict",
          "This is the last admin of the tenant: make another user admin first.",
          {
            details: [
              {
                field: changes.role ? "role" : "disabled",
                message: "would leave the tenant without an admin",
              },
            ],
          },
        );
    }
    const after = await tx.user.update({
      where: { id: userId },
      data: {
        role,
        ...(changes.disabled ? { disabledAt: disabled ? new Date() : null } : {}),
      },
      select: USER_SELECT,
    });
    await setTenantRelation(
      { userId, tenantId: actor.tenantId },
      tenantRelation({ role: before.role, disabled: wasDisabled }),
      tenantRelation({ role, disabled }),
    );
    return { user: toUserView(after), changes };
  });
  if (result.changes.disabled || result.changes.role) {
    const reason = result.user.disabled
      ? "Your account was disabled by an admin."
      : result.changes.role
        ? `Your role changed to ${result.user.role}; sign in again.`
        : "Your account changed; sign in again.";
    await endUserAccess(db, redis, { userId, reason });
  }
  return result;
}
