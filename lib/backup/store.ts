// Where backups are kept: a directory or an S3 bucket, behind one small interface. Each backup is a
// folder (or key prefix) named by its id holding its files; manifest.json is written last, so a
// folder without one is a backup that did not finish.
import type { Settings } from "../config";
import { DirectoryStore } from "./directory-store";
import { S3Store } from "./s3-store";

export interface BackupStore {
  /** Where, for messages: a path or s3://bucket/prefix (never a key). */
  readonly location: string;
  /** Every backup folder, finished or not. */
  list(): Promise<{ id: string; finished: boolean }[]>;
  put(id: string, name: string, localFile: string): Promise<void>;
  get(id: string, name: string, localFile: string): Promise<void>;
  /** Whether the backup has this file (a cheap look, no download). */
  has(id: string, name: string): Promise<boolean>;
  remove(id: string): Promise<void>;
}

/** A store from a target: s3://bucket/prefix, or a directory (relative: to `root`). */
export function openStore(target: string, backup: Settings["backup"], root: string): BackupStore {
  if (target.startsWith("s3://")) return new S3Store(target, backup);
  return new DirectoryStore(target, root);
}
