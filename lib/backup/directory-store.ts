// Backups in a directory (a mounted volume, NFS, another disk). Files are copied in under a temporary
// name and renamed, so a half-copied file never has the final name; the folder is private (0700):
// a dump holds every password hash and token hash, and provider-keys.json the provider keys.
import fs from "node:fs";
import path from "node:path";
import { MANIFEST_FILE } from "./manifest";
import type { BackupStore } from "./store";

export class DirectoryStore implements BackupStore {
  readonly location: string;

  constructor(dir: string, root: string) {
    this.location = path.resolve(root, dir);
  }

  private folder(id: string): string {
    return path.join(this.location, id);
  }

  async list(): Promise<{ id: string; finished: boolean }[]> {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(this.location, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => ({ id: e.name, finished: fs.existsSync(path.join(this.folder(e.name), MANIFEST_FILE)) }));
  }

  async put(id: string, name: string, localFile: string): Promise<void> {
    await fs.promises.mkdir(this.folder(id), { recursive: true, mode: 0o700 });
    const dest = path.join(this.folder(id), name);
    const partial = `${dest}.partial`;
    await fs.promises.copyFile(localFile, partial);
    await fs.promises.chmod(partial, 0o600);
    await fs.promises.rename(partial, dest);
  }

  async get(id: string, name: string, localFile: string): Promise<void> {
    const src = path.join(this.folder(id), name);
    try {
      await fs.promises.copyFile(src, localFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT")
        throw new Error(`${src} does not exist`, { cause: err });
      throw err;
    }
  }

  async has(id: string, name: string): Promise<boolean> {
    return fs.existsSync(path.join(this.folder(id), name));
  }

  async remove(id: string): Promise<void> {
    await fs.promises.rm(this.folder(id), { recursive: true, force: true });
  }
}
