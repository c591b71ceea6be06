// GET (the session with its conversation), PATCH (rename) and DELETE /api/v1/sessions/{id}.
import { auditRequest } from "@/lib/audit/log";
import { requirePrincipal } from "@/lib/auth/require";
import { getConfig } from "@/lib/config";
import { jsonBody } from "@/lib/http/json-body";
import { route, type Params } from "@/lib/http/route";
import { renameSessionBody } from "@/lib/sessions/schemas";
import { deleteSession, renameSession, sessionDetail } from "@/lib/sessions/service";

export const dynamic = "force-dynamic";
type Ctx = Params<{ id: string }>;

export const GET = route<Ctx>(async (request, { params }) => {
  const principal = await requirePrincipal(request);
  return Response.json(await sessionDetail(principal, (await params).id));
});

export const PATCH = route<Ctx>(async (request, { params }) => {
  const principal = await requirePrincipal(request);
  const { id } = await params;
  const body = await jsonBody(request, renameSessionBody, getConfig().settings.server.bodyLimitBytes);
  const renamed = await renameSession(principal, id, body.title);
  await auditRequest(request, principal, {
    action: "session.rename",
    outcome: "success",
    resource: `session:${id}`,
  });
  return Response.json(renamed);
});

export const DELETE = route<Ctx>(async (request, { params }) => {
  const principal = await requirePrincipal(request);
  const { id } = await params;
  await deleteSession(principal, id);
  await auditRequest(request, principal, {
    action: "session.delete",
    outcome: "success",
    resource: `session:${id}`,
  });
  return new Response(null, { status: 204 });
});
