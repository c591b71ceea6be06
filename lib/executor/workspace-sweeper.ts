// Removes the workspaces of deleted sessions. Each executor sweeps its own workspace root, so this
// works however many machines run executors. Only sessions marked deleted are swept: a directory
// whose session is unknown to this database may belong to another stack sharing the root.
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import type { Db } from "../server/db";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function sweepWorkspaces(db: Db, root: string, log: Logger): Promise<string[]> {
  let names: string[];
  try {
    names = fs.readdirSync(root).filter((n) => UUID.test(n));
  } catch {
    return [];
  }
  if (names.length === 0) return [];
  const deleted = await db.session.findMany({
    where: { id: { in: names }, deletedAt: { not: null } },
    select: { id: true },
  });
  for (const { id } of deleted) {
    fs.rmSync(path.join(root, id), { recursive: true, force: true });
    log.info({ sessionId: id }, "removed the workspace of a deleted session");
  }
  return deleted.map((d) => d.id);
}

export function startWorkspaceSweeper(db: Db, root: string, everyMs: number, log: Logger): () => void {
  const timer = setInterval(() => {
    sweepWorkspaces(db, root, log).catch((err: unknown) => log.warn({ err }, "workspace sweep failed"));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
