// Ids from URLs and cursors are checked before they reach Postgres: a string that only looks like a
// UUID ("------------------------------------") would fail the database's cast and answer 500.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(id: string): boolean {
  return UUID.test(id);
}
