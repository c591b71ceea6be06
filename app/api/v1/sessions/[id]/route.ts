// GET (the session with its conversation), PATCH (rename) and DELETE /api/v1/sessions/{id}.
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
  const body = await jsonBody(request, renameSessionBody, getConfig().settings.server.bodyLimitBytes);
  return Response.json(await renameSession(principal, (await params).id, body.title));
});

export const DELETE = route<Ctx>(async (request, { params }) => {
  const principal = await requirePrincipal(request);
  await deleteSession(principal, (await params).id);
  return new Response(null, { status: 204 });
});
