// GET /api/v1/admin/users: the members of the caller's tenant with their role and whether they are
// disabled, by email (tenant admins). Cursor paged: {items, nextCursor}.
import { requireAdmin } from "@/lib/auth/require";
import { fromZod } from "@/lib/errors";
import { route } from "@/lib/http/route";
import { db } from "@/lib/server/db";
import { listUsers } from "@/lib/users/list-users";
import { listUsersQuery } from "@/lib/users/schemas";

export const dynamic = "force-dynamic";

export const GET = route(async (request) => {
  const principal = await requireAdmin(request);
  const parsed = listUsersQuery.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!parsed.success) throw fromZod(parsed.error, "query");
  return Response.json(await listUsers({ db: db(), tenantId: principal.tenantId, query: parsed.data }), {
    headers: { "cache-control": "no-store" },
  });
});
