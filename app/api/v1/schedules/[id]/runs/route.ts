// GET /api/v1/schedules/{id}/runs: the schedule's runs, newest first, each with its session and turn.
import { requirePrincipal } from "@/lib/auth/require";
import { fromZod } from "@/lib/errors";
import { route, type Params } from "@/lib/http/route";
import { listRunsQuery } from "@/lib/schedules/schemas";
import { listRuns } from "@/lib/schedules/service";

export const dynamic = "force-dynamic";

export const GET = route<Params<{ id: string }>>(async (request, { params }) => {
  const principal = await requirePrincipal(request);
  const query = listRunsQuery.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!query.success) throw fromZod(query.error, "query");
  return Response.json(await listRuns(principal, (await params).id, query.data.limit));
});
