// Who may do what with a session, decided by OpenFGA (conf/openfga/model.json):
//   owner  → can_view, can_write (post, cancel, rename, delete, share)
//   viewer → can_view (a session shared with them)
//   tenant admin → can_view on every session of the tenant
// When OpenFGA cannot be reached we fail closed: every write is refused with 503, and a read is
// allowed only to the session's owner as recorded in Postgres (shared access needs OpenFGA).
import {
  ClientWriteRequestOnDuplicateWrites,
  ClientWriteRequestOnMissingDeletes,
  type OpenFgaClient,
} from "@openfga/sdk";
import { AppError } from "../errors";
import { fga } from "../server/openfga";
import { logger } from "../server/logger";
import { redis } from "../server/redis";
import { checkCache, publishAuthzChange } from "./check-cache";
import { ATTR, withSpan } from "../tracing/spans";

export type SessionAccess = "read" | "write";
const RELATION: Record<SessionAccess, "can_view" | "can_write"> = { read: "can_view", write: "can_write" };

const unavailable = (cause: unknown) =>
  new AppError("unavailable", "Permissions cannot be checked right now; try again shortly.", {
    cause,
    headers: { "retry-after": "5" },
  });

/**
 * OpenFGA's answer (kept in the process until a change to the session's or the user's tuples is
 * published: lib/authz/check-cache.ts); throws a 503 AppError when it cannot be had.
 */
export function checkSession(userId: string, sessionId: string, access: SessionAccess): Promise<boolean> {
  return withSpan(
    "authz.openfga",
    { kind: "client", attributes: { [ATTR.sessionId]: sessionId, [ATTR.relation]: RELATION[access] } },
    async (span) => {
      let asked = false;
      const allowed = await checkCache().check(userId, sessionId, RELATION[access], async () => {
        asked = true;
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
      });
      span.set({ [ATTR.cached]: !asked, [ATTR.decision]: allowed ? "allow" : "deny" });
      return allowed;
    },
  );
}

/** Runs a call against OpenFGA; any failure becomes the 503 every caller answers with. */
async function withFga<T>(fn: (client: OpenFgaClient) => Promise<T>): Promise<T> {
  try {
    return await fn((await fga()).client);
  } catch (err) {
    throw unavailable(err);
  }
}

/** Every `viewer` tuple matching the filter, across pages. */
async function viewerTuples(client: OpenFgaClient, filter: { user?: string; object: string }) {
  const keys: { user: string; object: string }[] = [];
  let token: string | undefined;
  do {
    const page = await client.read(
      { ...filter, relation: "viewer" },
      { pageSize: 100, ...(token ? { continuationToken: token } : {}) },
    );
    keys.push(...page.tuples.map((t) => t.key));
    token = page.continuation_token || undefined;
  } while (token);
  return keys;
}

const viewerTuple = (userId: string, sessionId: string) => ({
  user: `user:${userId}`,
  relation: "viewer",
  object: `session:${sessionId}`,
});

/** The tuples of a new session: its tenant and its owner. */
export function grantNewSession(tenantId: string, ownerId: string, sessionId: string): Promise<void> {
  return withFga(async (client) => {
    await client.write({
      writes: [
        { user: `tenant:${tenantId}`, relation: "tenant", object: `session:${sessionId}` },
        { user: `user:${ownerId}`, relation: "owner", object: `session:${sessionId}` },
      ],
    });
    await publishAuthzChange(redis(), { sessionId });
  });
}

/** Shares a session with a user as viewer; sharing twice is not an error. */
export function grantViewer(userId: string, sessionId: string): Promise<void> {
  return withFga(async (client) => {
    await client.write(
      { writes: [viewerTuple(userId, sessionId)] },
      { conflict: { onDuplicateWrites: ClientWriteRequestOnDuplicateWrites.Ignore } },
    );
    await publishAuthzChange(redis(), { sessionId });
  });
}

/** Takes a viewer's access away; removing one who is not a viewer is not an error. */
export function revokeViewer(userId: string, sessionId: string): Promise<void> {
  return withFga(async (client) => {
    await client.write(
      { deletes: [viewerTuple(userId, sessionId)] },
      { conflict: { onMissingDeletes: ClientWriteRequestOnMissingDeletes.Ignore } },
    );
    await publishAuthzChange(redis(), { sessionId });
  });
}

/** Ids of the sessions shared with a user as viewer (not the ones they own). */
export function sharedWith(userId: string): Promise<string[]> {
  return withFga(async (client) =>
    (await viewerTuples(client, { user: `user:${userId}`, object: "session:" })).map((k) =>
      k.object.slice("session:".length),
    ),
  );
}

/** User ids a session is shared with as viewer. */
export function viewersOf(sessionId: string): Promise<string[]> {
  return withFga(async (client) =>
    (await viewerTuples(client, { object: `session:${sessionId}` }))
      .filter((k) => k.user.startsWith("user:"))
      .map((k) => k.user.slice("user:".length)),
  );
}
