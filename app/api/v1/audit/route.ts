// GET /api/v1/audit: the tenant's audit log for tenant admins, newest first. Filters: action,
// outcome, actorId, resource, since, until; cursor paged ({items, nextCursor}). With ?format=ndjson
// or `Accept: application/x-ndjson` every matching row is exported as NDJSON.
import { requireAdmin } from "@/lib/auth/require";
import { auditExport, auditPage, auditQuery } from "@/lib/audit/query";
import { fromZod } from "@/lib/errors";
import { route } from "@/lib/http/route";
import { db } from "@/lib/server/db";

export const dynamic = "force-dynamic";

export const GET = route(async (request) => {
  const principal = await requireAdmin(request);
  const parsed = auditQuery.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!parsed.success) throw fromZod(parsed.error, "query");
  const { format, ...q } = parsed.data;
  const ndjson =
    format === "ndjson" || (request.headers.get("accept") ?? "").includes("application/x-ndjson");
  if (ndjson) {
    const day = new Date().toISOString().slice(0, 10);
    return new Response(auditExport(db(), principal.tenantId, q), {
      headers: {
        "content-type": "application/x-ndjson; charset=utf-8",
        "content-disposition": `attachment; filename="audit-${day}.ndjson"`,
        "cache-control": "no-store",
      },
    });
  }
  return Response.json(await auditPage(db(), principal.tenantId, q));
});
