// A user's relation to their tenant in OpenFGA (conf/openfga/model.json): `admin` or `member` while
// they are enabled, none while disabled (as the migration job's backfill writes them). A tenant admin
// can view every session of the tenant through it, so it changes with the user's row in Postgres.
import { ClientWriteRequestOnDuplicateWrites, ClientWriteRequestOnMissingDeletes } from "@openfga/sdk";
import { AppError } from "../errors";
import { fga } from "../server/openfga";
import { redis } from "../server/redis";
import { publishAuthzChange } from "./check-cache";

export type TenantRole = "admin" | "member";

/** The relation a user holds in OpenFGA: their role, or none when disabled. */
export const tenantRelation = (u: { role: TenantRole; disabled: boolean }): TenantRole | null =>
  u.disabled ? null : u.role;

/** Moves a user from one relation to another in one write (OpenFGA applies a write atomically). */
export async function setTenantRelation(
  { userId, tenantId }: { userId: string; tenantId: string },
  from: TenantRole | null,
  to: TenantRole | null,
): Promise<void> {
  if (from === to) return;
  const tuple = (relation: TenantRole) => ({
    user: `user:${userId}`,
    relation,
    object: `tenant:${tenantId}`,
  });
  try {
    const { client } = await fga();
    await client.write(
      { writes: to ? [tuple(to)] : [], deletes: from ? [tuple(from)] : [] },
      {
        conflict: {
          onDuplicateWrites: ClientWriteRequestOnDuplicateWrites.Ignore,
          onMissingDeletes: ClientWriteRequestOnMissingDeletes.Ignore,
        },
      },
    );
    // A tenant admin sees every session of the tenant: the user's cached answers go.
    await publishAuthzChange(redis(), { userId });
  } catch (err) {
    throw new AppError("unavailable", "Permissions cannot be changed right now; try again shortly.", {
      cause: err,
      headers: { "retry-after": "5" },
    });
  }
}
