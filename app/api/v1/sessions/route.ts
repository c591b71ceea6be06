// GET /api/v1/sessions (newest activity first, cursor paged) and POST /api/v1/sessions.
import { auditRequest } from "@/lib/audit/log";
import { requirePrincipal } from "@/lib/auth/require";
import { getConfig } from "@/lib/config";
import { fromZod } from "@/lib/errors";
import { optionalJsonBody } from "@/lib/http/json-body";
import { route } from "@/lib/http/route";
import { createSessionBody, listSessionsQuery } from "@/lib/sessions/schemas";
import { createSession, listSessions } from "@/lib/sessions/service";

export const dynamic = "force-dynamic";

export const GET = route(async (request) => {
  const principal = await requirePrincipal(request);
  const query = listSessionsQuery.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!query.success) throw fromZod(query.error, "query");
  return Response.json(await listSessions(principal, query.data.limit, query.data.cursor));
});

export const POST = route(async (request) => {
  const principal = await requirePrincipal(request);
  const body = await optionalJsonBody(request, createSessionBody, getConfig().settings.server.bodyLimitBytes);
  const created = await createSession(principal, body.title);
  await auditRequest(request, principal, {
    action: "session.create",
    outcome: "success",
    resource: `session:${created.id}`,
  });
  return Response.json(created, { status: 201, headers: { location: `/api/v1/sessions/${created.id}` } });
});
