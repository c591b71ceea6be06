// Removes the workspaces of deleted sessions. Each executor sweeps its own workspace root, so this
// works however many machines run executors. Only sessions marked deleted are swept: a directory
// whose session is unknown to this database may belong to another stack sharing the root.
// A workspace with a quota is a mounted image (lib/sandbox/workspace-quota.ts): it is unmounted and
// its image deleted too.
import fs from "node:fs";
import type { Logger } from "pino";
import type { Db } from "../server/db";
import { imagesDir, removeWorkspace } from "../sandbox/workspace-quota";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function sessionIdsUnder(root: string): string[] {
  const ids = new Set<string>();
  try {
    for (const n of fs.readdirSync(root)) if (UUID.test(n)) ids.add(n);
  } catch {
    return []; // no root yet: nothing was ever made here
  }
  try {
    // An image whose directory is already gone (a sweep interrupted half-way) is still swept.
    for (const n of fs.readdirSync(imagesDir(root))) {
      const id = n.replace(/\.(ext4|lock)$/, "");
      if (UUID.test(id)) ids.add(id);
    }
  } catch {
    /* no images: the quota was never used under this root */
  }
  return [...ids];
}

export async function sweepWorkspaces(db: Db, root: string, log: Logger): Promise<string[]> {
  const names = sessionIdsUnder(root);
  if (names.length === 0) return [];
  const deleted = await db.session.findMany({
    where: { id: { in: names }, deletedAt: { not: null } },
    select: { id: true },
  });
  const removed: string[] = [];
  for (const { id } of deleted) {
    try {
      await removeWorkspace(root, id);
      removed.push(id);
      log.info({ sessionId: id }, "removed the workspace of a deleted session");
    } catch (err) {
      log.warn(
        { err, sessionId: id },
        "could not remove the workspace of a deleted session; next sweep retries",
      );
    }
  }
  return removed;
}

export function startWorkspaceSweeper(db: Db, root: string, everyMs: number, log: Logger): () => void {
  const timer = setInterval(() => {
    sweepWorkspaces(db, root, log).catch((err: unknown) => log.warn({ err }, "workspace sweep failed"));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
