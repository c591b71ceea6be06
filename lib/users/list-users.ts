// The members of a tenant, by email, cursor paged: what its admins see before they change anyone.
import type { Db } from "../server/db";
import { AppError } from "../errors";
import { toUserView, USER_SELECT, type ListUsersQuery, type UserView } from "./schemas";

const encodeCursor = (email: string) => Buffer.from(email).toString("base64url");

function decodeCursor(cursor: string): string {
  const email = /^[\w-]+$/.test(cursor) ? Buffer.from(cursor, "base64url").toString() : "";
  if (!email.includes("@"))
    throw new AppError("invalid_request", "Invalid cursor: pass back nextCursor as given.", {
      details: [{ field: "cursor", message: "not a cursor from this API" }],
    });
  return email;
}

export async function listUsers({
  db,
  tenantId,
  query,
}: {
  db: Db;
  tenantId: string;
  query: ListUsersQuery;
}): Promise<{ items: UserView[]; nextCursor: string | null }> {
  const rows = await db.user.findMany({
    where: { tenantId, ...(query.cursor ? { email: { gt: decodeCursor(query.cursor) } } : {}) },
    orderBy: { email: "asc" },
    take: query.limit + 1,
    select: USER_SELECT,
  });
  const page = rows.slice(0, query.limit);
  return {
    items: page.map(toUserView),
    nextCursor: rows.length > query.limit ? encodeCursor(page.at(-1)!.email) : null,
  };
}
