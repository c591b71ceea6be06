// Maintenance applies to the whole deployment, so, like settings (lib/settings/access.ts), only
// admins of the deployment's own tenant (tenancy.defaultTenant) switch it; everyone signed in may
// read it (every page shows it anyway).
import type { Principal } from "../auth/principal";
import { requirePrincipal } from "../auth/require";
import { getConfig } from "../config";
import { AppError } from "../errors";
import { isSettingsAdmin } from "../settings/access";

export async function requireMaintenanceAdmin(request: Request): Promise<Principal> {
  const principal = await requirePrincipal(request);
  if (!(await isSettingsAdmin(principal)))
    throw new AppError(
      "forbidden",
      `Maintenance applies to the whole deployment: only admins of the "${getConfig().settings.tenancy.defaultTenant}" organisation can switch it.`,
    );
  return principal;
}
