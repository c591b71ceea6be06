// GET, PATCH (any field; re-timing counts from now) and DELETE /api/v1/schedules/{id}.
import { auditRequest } from "@/lib/audit/log";
import { requirePrincipal } from "@/lib/auth/require";
import { getConfig } from "@/lib/config";
import { jsonBody } from "@/lib/http/json-body";
import { route, type Params } from "@/lib/http/route";
import { updateScheduleBody } from "@/lib/schedules/schemas";
import { deleteSchedule, getSchedule, updateSchedule } from "@/lib/schedules/service";

export const dynamic = "force-dynamic";
type Ctx = Params<{ id: string }>;

export const GET = route<Ctx>(async (request, { params }) => {
  const principal = await requirePrincipal(request);
  return Response.json(await getSchedule(principal, (await params).id));
});

export const PATCH = route<Ctx>(async (request, { params }) => {
  const principal = await requirePrincipal(request);
  const { id } = await params;
  const body = await jsonBody(request, updateScheduleBody, getConfig().settings.server.bodyLimitBytes);
  const updated = await updateSchedule(principal, id, body);
  await auditRequest(request, principal, {
    action: "schedule.update",
    outcome: "success",
    resource: `schedule:${id}`,
  });
  return Response.json(updated);
});

export const DELETE = route<Ctx>(async (request, { params }) => {
  const principal = await requirePrincipal(request);
  const { id } = await params;
  await deleteSchedule(principal, id);
  await auditRequest(request, principal, {
    action: "schedule.delete",
    outcome: "success",
    resource: `schedule:${id}`,
  });
  return new Response(null, { status: 204 });
});
