// The members of a tenant, by email, cursor paged (the cursor is the last email of a page: any string
// names a position): what its admins see before they change anyone.
import type { Db } from "../server/db";
import { toUserView, USER_SELECT, type ListUsersQuery, type UserView } from "./schemas";

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
    where: { tenantId, ...(query.cursor ? { email: { gt: query.cursor } } : {}) },
    orderBy: { email: "asc" },
    take: query.limit + 1,
    select: USER_SELECT,
  });
  const page = rows.slice(0, query.limit);
  return {
    items: page.map(toUserView),
    nextCursor: rows.length > query.limit ? page.at(-1)!.email : null,
  };
}
