// Route-handler side of authentication: the principal or a 401 AppError.
import { AppError } from "../errors";
import { db } from "../server/db";
import { redis } from "../server/redis";
import { authenticate, type Principal } from "./principal";

export async function requirePrincipal(request: Request): Promise<Principal> {
  let principal: Principal | null;
  try {
    principal = await authenticate(
      { authorization: request.headers.get("authorization"), cookie: request.headers.get("cookie") },
      { db: db(), redis: redis() },
    );
  } catch (err) {
    throw new AppError("unavailable", "Sign-in cannot be checked right now; try again shortly.", {
      cause: err,
    });
  }
  if (!principal) {
    throw new AppError(
      "unauthorized",
      "Authentication required: send an API token as 'Authorization: Bearer <token>' or sign in.",
      {
        headers: { "www-authenticate": 'Bearer realm="somaagent"' },
      },
    );
  }
  return principal;
}
