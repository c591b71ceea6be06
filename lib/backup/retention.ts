// Which backups to delete: beyond the newest `keepCount`, or older than `keepDays`. The newest
// finished backup is never deleted, whatever the settings say (a clock set wrong must not leave none).
// Unfinished ones (no manifest: a run that died) go once a day old, so a backup being written now
// is left alone.
import { backupTime } from "./manifest";

export interface RetentionPolicy {
  keepCount: number; // 0: no limit by count
  keepDays: number; // 0: no limit by age
}

export interface StoredBackup {
  id: string;
  finished: boolean;
}

const DAY_MS = 86_400_000;

export function backupsToDelete(backups: StoredBackup[], policy: RetentionPolicy, now: Date): string[] {
  const dated = backups
    .map((b) => ({ ...b, at: backupTime(b.id) }))
    .filter((b): b is StoredBackup & { at: Date } => b.at !== null) // names not ours are never touched
    .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)); // newest first (ids sort by time)
  const finished = dated.filter((b) => b.finished);
  const doomed = new Set<string>();
  finished.forEach((b, i) => {
    if (i === 0) return;
    if (policy.keepCount > 0 && i >= policy.keepCount) doomed.add(b.id);
    if (policy.keepDays > 0 && now.getTime() - b.at.getTime() > policy.keepDays * DAY_MS) doomed.add(b.id);
  });
  for (const b of dated) if (!b.finished && now.getTime() - b.at.getTime() > DAY_MS) doomed.add(b.id);
  return dated.filter((b) => doomed.has(b.id)).map((b) => b.id);
}
