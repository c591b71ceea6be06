// GET /api/v1/memories?query=&cursor=&limit=&area=&scope=: the caller's memories and the tenant's
// shared ones, newest first, or ranked by `query` (words, and meaning when an embedding model is on).
// POST /api/v1/memories {content, area?, scope?, metadata?}: saves one (the caller's own by default).
import { auditRequest } from "@/lib/audit/log";
import { requirePrincipal } from "@/lib/auth/require";
import { fromZod } from "@/lib/errors";
import { jsonBody } from "@/lib/http/json-body";
import { route } from "@/lib/http/route";
import { createMemoryBody, listMemoriesQuery } from "@/lib/memories/schemas";
import { listMemories, saveMemory } from "@/lib/memories/service";
import { db } from "@/lib/server/db";

export const dynamic = "force-dynamic";

export const GET = route(async (request) => {
  const principal = await requirePrincipal(request);
  const parsed = listMemoriesQuery.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!parsed.success) throw fromZod(parsed.error, "query");
  return Response.json(await listMemories(db(), principal, parsed.data), {
    headers: { "cache-control": "no-store" },
  });
});

export const POST = route(async (request) => {
  const principal = await requirePrincipal(request);
  const body = await jsonBody(request, createMemoryBody, 65_536);
  const saved = await saveMemory(db(), principal, body);
  await auditRequest(request, principal, {
    action: "memory.create",
    outcome: "success",
    resource: `memory:${saved.id}`,
    details: { scope: saved.scope, area: saved.area },
  });
  return Response.json(saved, { status: 201 });
});
