// GET /api/v1/usage: the caller's usage, the tenant's against its budgets, and (tenant admins) the
// month per user. Periods are UTC.
import { requirePrincipal } from "@/lib/auth/require";
import { usageReport } from "@/lib/budget/report";
import { route } from "@/lib/http/route";
import { db } from "@/lib/server/db";
import { redis } from "@/lib/server/redis";

export const dynamic = "force-dynamic";

export const GET = route(async (request) => {
  const principal = await requirePrincipal(request);
  return Response.json(await usageReport(db(), redis(), principal), {
    headers: { "cache-control": "no-store" },
  });
});
