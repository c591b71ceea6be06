// Scratch databases (the drift check's, the Prisma CLI's shadow, a test's) on the application's
// Postgres server: their URL, and dropping them as the application role, which is not a superuser.
//
// `DROP DATABASE … WITH (FORCE)` ends the connections still open on it, but Postgres refuses the
// whole statement (42501, "must be a member of the role whose process is being terminated") when one
// of them is not the role's own: an autovacuum worker that happens to be in a database just filled
// by migrations is such a one. A plain `DROP DATABASE` asks autovacuum workers to exit and waits up
// to 5 s for them and for connections that are closing, so it is what comes after that refusal. A
// plain DROP refused because someone is still connected (55006) goes back to FORCE.
import pg from "pg";

const INSUFFICIENT_PRIVILEGE = "42501";
const OBJECT_IN_USE = "55006";
const ATTEMPTS = 4;

/** `url` with its database replaced by `name` (same server, role and options). */
export function databaseUrl(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export type DropStatement = "force" | "plain";

/** The statement to try after `tried` failed with `err`, or null when another try will not help. */
export function nextDropStatement(tried: DropStatement, err: unknown): DropStatement | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (tried === "force" && code === INSUFFICIENT_PRIVILEGE) return "plain";
  if (tried === "plain" && code === OBJECT_IN_USE) return "force";
  return null;
}

function dropSql(name: string, statement: DropStatement): string {
  const ident = `"${name.replace(/"/g, '""')}"`;
  return `DROP DATABASE IF EXISTS ${ident}${statement === "force" ? " WITH (FORCE)" : ""}`;
}

/**
 * Drops `name` on the server of `serverUrl` (any database there the role may connect to), ending
 * the connections left on it. Throws Postgres's last error when it cannot.
 */
export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    let statement: DropStatement | null = "force";
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(dropSql(name, statement));
        return;
      } catch (err) {
        statement = nextDropStatement(statement, err);
        if (!statement || attempt === ATTEMPTS) throw err;
      }
    }
  } finally {
    await client.end();
  }
}
