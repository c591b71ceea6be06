// The contract of PATCH /api/v1/admin/users/{id}.
import { UpdateUser, User } from "@/lib/api/components";
import { defineRoute, uuidParam } from "@/lib/api/contract";

export const contract = defineRoute(
  "/api/v1/admin/users/{id}",
  {
    patch: {
      summary: "Disable or enable a user of the tenant, or change their role (tenant admins)",
      description:
        "Ends what the user has open within a second: their sockets get `auth.revoked` with the reason and close, their SSE streams end with `auth.revoked`, their web sessions end (the next request is a 401). Their API tokens stop working while they are disabled. 409 for disabling yourself or leaving the tenant without an enabled admin; 404 for an unknown id or another tenant's user.",
      body: UpdateUser,
      responses: { 200: { description: "The user as changed", body: User } },
      errors: [400, 401, 403, 404, 409, 413, 415, 503],
    },
  },
  { params: { id: uuidParam } },
);
