// PATCH /api/v1/admin/users/{id} {disabled?, role?}: a tenant admin disables or enables a user of
// their tenant or changes their role. What the user has open ends within a second, told why; their
// web sessions end and their tokens follow the change at their next request. 409 for disabling
// oneself or leaving the tenant without an admin; 404 for an unknown id or another tenant's user.
import { auditRequest } from "@/lib/audit/log";
import { requireAdmin } from "@/lib/auth/require";
import { AppError } from "@/lib/errors";
import { jsonBody } from "@/lib/http/json-body";
import { route, type Params } from "@/lib/http/route";
import { db } from "@/lib/server/db";
import { redis } from "@/lib/server/redis";
import { updateUserBody } from "@/lib/users/schemas";
import { updateUser } from "@/lib/users/update-user";

export const dynamic = "force-dynamic";

export const PATCH = route<Params<{ id: string }>>(async (request, { params }) => {
  const principal = await requireAdmin(request);
  const { id } = await params;
  const change = await jsonBody(request, updateUserBody, 16_384);
  let updated: Awaited<ReturnType<typeof updateUser>>;
  try {
    updated = await updateUser({ db: db(), redis: redis(), actor: principal, userId: id, change });
  } catch (err) {
    // Refusals an admin runs into (the last admin, themselves, a user who is not theirs) are audited
    // too; the route wrapper audits only policy denials.
    if (err instanceof AppError && (err.code === "conflict" || err.code === "not_found"))
      await auditRequest(request, principal, {
        action: "user.update",
        outcome: "denied",
        resource: `user:${id}`,
        details: { change, reason: err.message },
      });
    throw err;
  }
  const { user, changes } = updated;
  await auditRequest(request, principal, {
    action: "user.update",
    outcome: "success",
    resource: `user:${id}`,
    details: { email: user.email, changes },
  });
  return Response.json(user, { headers: { "cache-control": "no-store" } });
});
