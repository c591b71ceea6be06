// GET /api/v1/schedules (the caller's; every schedule of the tenant for an admin) and POST.
import { auditRequest } from "@/lib/audit/log";
import { requirePrincipal } from "@/lib/auth/require";
import { getConfig } from "@/lib/config";
import { jsonBody } from "@/lib/http/json-body";
import { route } from "@/lib/http/route";
import { createScheduleBody } from "@/lib/schedules/schemas";
import { createSchedule, listSchedules } from "@/lib/schedules/service";

export const dynamic = "force-dynamic";

export const GET = route(async (request) => {
  const principal = await requirePrincipal(request);
  return Response.json(await listSchedules(principal));
});

export const POST = route(async (request) => {
  const principal = await requirePrincipal(request);
  const body = await jsonBody(request, createScheduleBody, getConfig().settings.server.bodyLimitBytes);
  const created = await createSchedule(principal, body);
  await auditRequest(request, principal, {
    action: "schedule.create",
    outcome: "success",
    resource: `schedule:${created.id}`,
  });
  return Response.json(created, { status: 201, headers: { location: `/api/v1/schedules/${created.id}` } });
});
