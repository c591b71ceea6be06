// Route-handler side of authentication: the principal or a 401/503 AppError. The HTTP pipeline has
// usually authenticated the request already (./forwarded-principal.ts); then that principal is used.
// The principal is remembered for the request, so the route wrapper can name the actor when it
// audits a denial.
import { AppError } from "../errors";
import { db } from "../server/db";
import { redis } from "../server/redis";
import { singleton } from "../singleton";
import { principalOrThrow, type Principal } from "./principal";
import { forwardedPrincipal } from "./forwarded-principal";

const seen = () => singleton("request-principals", () => new WeakMap<Request, Principal>());

export async function requirePrincipal(request: Request): Promise<Principal> {
  const forwarded = forwardedPrincipal(request);
  if (forwarded) {
    seen().set(request, forwarded);
    return forwarded;
  }
  const principal = await principalOrThrow(
    { authorization: request.headers.get("authorization"), cookie: request.headers.get("cookie") },
    { db: db(), redis: redis() },
  );
  seen().set(request, principal);
  return principal;
}

/** The principal requirePrincipal found for this request, if it ran. */
export function principalOf(request: Request): Principal | undefined {
  return seen().get(request);
}

/** The principal, refusing callers who are not tenant admins (403). */
export async function requireAdmin(request: Request): Promise<Principal> {
  const principal = await requirePrincipal(request);
  if (principal.role !== "admin") {
    throw new AppError("forbidden", "Only a tenant admin can do this.");
  }
  return principal;
}
