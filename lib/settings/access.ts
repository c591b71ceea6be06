// Settings apply to the whole deployment (every tenant), so only admins of the deployment's own
// tenant (tenancy.defaultTenant) may change them; everyone signed in may read them.
import type { Principal } from "../auth/principal";
import { requirePrincipal } from "../auth/require";
import { getConfig } from "../config";
import { AppError } from "../errors";
import { db } from "../server/db";
import { redis } from "../server/redis";
import { tenantSlug } from "../tenancy/tenant-config";

/** Whether `principal` administers the deployment (an admin of tenancy.defaultTenant). */
export async function isSettingsAdmin(principal: Principal): Promise<boolean> {
  const owner = getConfig().settings.tenancy.defaultTenant;
  return principal.role === "admin" && (await tenantSlug(db(), redis(), principal.tenantId)) === owner;
}

export async function requireSettingsAdmin(request: Request): Promise<Principal> {
  const principal = await requirePrincipal(request);
  const owner = getConfig().settings.tenancy.defaultTenant;
  if (!(await isSettingsAdmin(principal)))
    throw new AppError(
      "forbidden",
      `Settings apply to the whole deployment: only admins of the "${owner}" organisation can change them.`,
    );
  return principal;
}
