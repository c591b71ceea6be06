// Maintenance mode (lib/maintenance/state.ts): GET the state (anyone signed in); POST {message,
// until?} switches it on or changes it, DELETE switches it off (admins of the deployment's tenant).
// Every switch is audited.
import { auditRequest } from "@/lib/audit/log";
import { requirePrincipal } from "@/lib/auth/require";
import { jsonBody } from "@/lib/http/json-body";
import { route } from "@/lib/http/route";
import { requireMaintenanceAdmin } from "@/lib/maintenance/access";
import { startMaintenanceBody } from "@/lib/maintenance/schemas";
import { endMaintenance, readMaintenance, startMaintenance } from "@/lib/maintenance/state";
import { redis } from "@/lib/server/redis";

export const dynamic = "force-dynamic";

const NO_STORE = { "cache-control": "no-store" };

export const GET = route(async (request) => {
  await requirePrincipal(request);
  return Response.json(await readMaintenance(redis()), { headers: NO_STORE });
});

export const POST = route(async (request) => {
  const principal = await requireMaintenanceAdmin(request);
  const body = await jsonBody(request, startMaintenanceBody, 16_384);
  const view = await startMaintenance(redis(), body);
  await auditRequest(request, principal, {
    action: "maintenance.start",
    outcome: "success",
    resource: "maintenance",
    details: { message: view.message, until: view.until },
  });
  return Response.json(view, { headers: NO_STORE });
});

export const DELETE = route(async (request) => {
  const principal = await requireMaintenanceAdmin(request);
  const { view, wasActive } = await endMaintenance(redis());
  await auditRequest(request, principal, {
    action: "maintenance.end",
    outcome: "success",
    resource: "maintenance",
    details: { wasActive },
  });
  return Response.json(view, { headers: NO_STORE });
});
