// GET, PATCH {content?, area?, scope?}, DELETE /api/v1/memories/{id}. Your own memories; a
// tenant-shared one only its author or a tenant admin may change (403), another member's private
// one is not found (404).
import { z } from "zod";
import { auditRequest } from "@/lib/audit/log";
import { requirePrincipal } from "@/lib/auth/require";
import { AppError } from "@/lib/errors";
import { jsonBody } from "@/lib/http/json-body";
import { route, type Params } from "@/lib/http/route";
import { updateMemoryBody } from "@/lib/memories/schemas";
import { deleteMemory, getMemory, updateMemory } from "@/lib/memories/service";
import { db } from "@/lib/server/db";

export const dynamic = "force-dynamic";

async function memoryId(params: Promise<{ id: string }>): Promise<string> {
  const { id } = await params;
  if (!z.uuid().safeParse(id).success) throw new AppError("not_found", "No such memory.");
  return id;
}

export const GET = route<Params<{ id: string }>>(async (request, { params }) => {
  const principal = await requirePrincipal(request);
  return Response.json(await getMemory(db(), principal, await memoryId(params)));
});

export const PATCH = route<Params<{ id: string }>>(async (request, { params }) => {
  const principal = await requirePrincipal(request);
  const id = await memoryId(params);
  const body = await jsonBody(request, updateMemoryBody, 65_536);
  const updated = await updateMemory(db(), principal, id, body);
  await auditRequest(request, principal, {
    action: "memory.update",
    outcome: "success",
    resource: `memory:${id}`,
    details: { fields: Object.keys(body) },
  });
  return Response.json(updated);
});

export const DELETE = route<Params<{ id: string }>>(async (request, { params }) => {
  const principal = await requirePrincipal(request);
  const id = await memoryId(params);
  await deleteMemory(db(), principal, id);
  await auditRequest(request, principal, {
    action: "memory.delete",
    outcome: "success",
    resource: `memory:${id}`,
  });
  return new Response(null, { status: 204 });
});
