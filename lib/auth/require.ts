// Route-handler side of authentication: the principal or a 401/503 AppError.
import { db } from "../server/db";
import { redis } from "../server/redis";
import { principalOrThrow, type Principal } from "./principal";

export function requirePrincipal(request: Request): Promise<Principal> {
  return principalOrThrow(
    { authorization: request.headers.get("authorization"), cookie: request.headers.get("cookie") },
    { db: db(), redis: redis() },
  );
}
