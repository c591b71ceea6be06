// POST /api/v1/schedules/{id}/run: runs the schedule now. 202 with the queued run; the scheduler
// starts its turn at its next tick (GET …/runs shows the turn and the outcome).
import { auditRequest } from "@/lib/audit/log";
import { requirePrincipal } from "@/lib/auth/require";
import { route, type Params } from "@/lib/http/route";
import { runScheduleNow } from "@/lib/schedules/service";

export const dynamic = "force-dynamic";

export const POST = route<Params<{ id: string }>>(async (request, { params }) => {
  const principal = await requirePrincipal(request);
  const { id } = await params;
  const run = await runScheduleNow(principal, id);
  await auditRequest(request, principal, {
    action: "schedule.run",
    outcome: "success",
    resource: `schedule:${id}`,
    details: { runId: run.id },
  });
  return Response.json(run, { status: 202, headers: { location: `/api/v1/schedules/${id}/runs` } });
});
