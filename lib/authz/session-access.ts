// Who may do what with a session, decided by OpenFGA (conf/openfga/model.json):
//   owner  → can_view, can_write (post, cancel, rename, delete, share)
//   viewer → can_view (a session shared with them)
//   tenant admin → can_view on every session of the tenant
// When OpenFGA cannot be reached we fail closed: every write is refused with 503, and a read is
// allowed only to the session's owner as recorded in Postgres (shared access needs OpenFGA).
import { ClientWriteRequestOnDuplicateWrites, ClientWriteRequestOnMissingDeletes } from "@openfga/sdk";
import { AppError } from "../errors";
import { fga } from "../server/openfga";
import { logger } from "../server/logger";

export type SessionAccess = "read" | "write";
const RELATION: Record<SessionAccess, "can_view" | "can_write"> = { read: "can_view", write: "can_write" };

const unavailable = (cause: unknown) =>
  new AppError("unavailable", "Permissions cannot be checked right now; try again shortly.", {
    cause,
    headers: { "retry-after": "5" },
  });

/** OpenFGA's answer; throws a 503 AppError when it cannot be had. */
export async function checkSession(
  userId: string,
  sessionId: string,
  access: SessionAccess,
): Promise<boolean> {
  try {
    const { client } = await fga();
    const r = await client.check({
      user: `user:${userId}`,
      relation: RELATION[access],
      object: `session:${sessionId}`,
    });
    return r.allowed === true;
  } catch (err) {
    logger().warn({ err: (err as Error).message, sessionId, access }, "OpenFGA check failed");
    throw unavailable(err);
  }
}

/** The tuples of a new session: its tenant and its owner. */
export async function grantNewSession(tenantId: string, ownerId: string, sessionId: string): Promise<void> {
  try {
    const { client } = await fga();
    await client.write({
      writes: [
        { user: `tenant:${tenantId}`, relation: "tenant", object: `session:${sessionId}` },
        { user: `user:${ownerId}`, relation: "owner", object: `session:${sessionId}` },
      ],
    });
  } catch (err) {
    throw unavailable(err);
  }
}

/** Shares a session with a user as viewer; sharing twice is not an error. */
export async function grantViewer(userId: string, sessionId: string): Promise<void> {
  try {
    const { client } = await fga();
    await client.write(
      { writes: [{ user: `user:${userId}`, relation: "viewer", object: `session:${sessionId}` }] },
      { conflict: { onDuplicateWrites: ClientWriteRequestOnDuplicateWrites.Ignore } },
    );
  } catch (err) {
    throw unavailable(err);
  }
}

/** Ids of the sessions shared with a user as viewer (not the ones they own). */
export async function sharedWith(userId: string): Promise<string[]> {
  try {
    const { client } = await fga();
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.read(
        { user: `user:${userId}`, relation: "viewer", object: "session:" },
        { pageSize: 100, ...(token ? { continuationToken: token } : {}) },
      );
      ids.push(...page.tuples.map((t) => t.key.object.slice("session:".length)));
      token = page.continuation_token || undefined;
    } while (token);
    return ids;
  } catch (err) {
    throw unavailable(err);
  }
}

/** Takes a viewer's access away; removing one who is not a viewer is not an error. */
export async function revokeViewer(userId: string, sessionId: string): Promise<void> {
  try {
    const { client } = await fga();
    await client.write(
      { deletes: [{ user: `user:${userId}`, relation: "viewer", object: `session:${sessionId}` }] },
      { conflict: { onMissingDeletes: ClientWriteRequestOnMissingDeletes.Ignore } },
    );
  } catch (err) {
    throw unavailable(err);
  }
}

/** User ids a session is shared with as viewer. */
export async function viewersOf(sessionId: string): Promise<string[]> {
  try {
    const { client } = await fga();
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.read(
        { relation: "viewer", object: `session:${sessionId}` },
        { pageSize: 100, ...(token ? { continuationToken: token } : {}) },
      );
      ids.push(
        ...page.tuples
          .map((t) => t.key.user)
          .filter((u) => u.startsWith("user:"))
          .map((u) => u.slice(5)),
      );
      token = page.continuation_token || undefined;
    } while (token);
    return ids;
  } catch (err) {
    throw unavailable(err);
  }
}
