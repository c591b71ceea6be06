// The contract of GET /api/v1/admin/users.
import { UserList } from "@/lib/api/components";
import { defineRoute } from "@/lib/api/contract";
import { listUsersQuery } from "@/lib/users/schemas";

export const contract = defineRoute("/api/v1/admin/users", {
  get: {
    summary: "The members of the caller's tenant, with role and disabled state (tenant admins)",
    query: listUsersQuery,
    responses: { 200: { description: "A page, by email", body: UserList } },
    errors: [400, 401, 403],
  },
});
