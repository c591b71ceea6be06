// Spare workspaces: images made and loop-mounted ahead of time, so a session's first call that needs
// a workspace with a quota takes one (its mount moved to the session's path, its image renamed)
// instead of waiting for mkfs and a loop mount (most of a first call's time: docs/sandbox.md,
// "Workspace quota"). A spare is an empty file system nobody has used; once taken it is that
// session's, exactly as if it had been made for it.
//
// Each executor makes and uses its own (`<root>/.spare/<pid>-<uuid>`, image
// `<root>/.images/.spare-<pid>-<uuid>.ext4`: names the workspace sweeper does not take for
// sessions). A clean stop unmounts and deletes them; those of an executor that was killed are
// removed by the next one on the same root.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { Logger } from "pino";
import { imagesDir, isMounted } from "./workspace-quota";

const run = promisify(execFile);
const ENV = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
} as unknown as NodeJS.ProcessEnv;

/** Spares kept ready: a burst of new sessions beyond this makes its images as before. */
export const SPARES = 2;

export interface Spare {
  dir: string;
  image: string;
  mb: number;
}

const sparesDir = (root: string) => path.join(root, ".spare");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function discard(spare: { dir: string; image: string }): Promise<void> {
  if (isMounted(spare.dir)) await run("umount", [spare.dir], { env: ENV, timeout: 30_000 });
  fs.rmSync(spare.dir, { recursive: true, force: true });
  fs.rmSync(spare.image, { force: true });
}

export class WorkspaceSpares {
  private ready: Spare[] = [];
  private making = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly root: string,
    private readonly log: Logger,
  ) {}

  /** Removes the spares of executors that are gone (killed before they could). */
  async sweep(): Promise<number> {
    let removed = 0;
    let names: string[];
    try {
      names = fs.readdirSync(sparesDir(this.root));
    } catch {
      return 0;
    }
    for (const name of names) {
      const owner = /^(\d+)-[0-9a-f-]{36}$/.exec(name);
      if (!owner || alive(Number(owner[1]))) continue;
      try {
        await discard({
          dir: path.join(sparesDir(this.root), name),
          image: path.join(imagesDir(this.root), `.spare-${name}.ext4`),
        });
        removed++;
      } catch (err) {
        this.log.warn({ err, spare: name }, "could not remove a spare workspace left by a stopped executor");
      }
    }
    return removed;
  }

  /** A spare of `mb`, if one is ready; the caller passes it to mountWorkspace, then calls settle. */
  take(mb: number): Spare | undefined {
    const i = this.ready.findIndex((s) => s.mb === mb);
    if (i < 0) return undefined;
    return this.ready.splice(i, 1)[0];
  }

  /** After mountWorkspace: a spare it did not take (the session had an image) is ready again. */
  settle(spare: Spare): void {
    if (isMounted(spare.dir) && fs.existsSync(spare.image) && !this.closed) this.ready.push(spare);
    else if (fs.existsSync(spare.image) || fs.existsSync(spare.dir))
      discard(spare).catch((err: unknown) => this.log.warn({ err }, "could not remove a spare workspace"));
  }

  /** Makes spares of `mb` in the background until SPARES are ready (others are dropped). */
  refill(mb: number): void {
    for (const stale of this.ready.filter((s) => s.mb !== mb)) {
      this.ready.splice(this.ready.indexOf(stale), 1);
      discard(stale).catch((err: unknown) => this.log.warn({ err }, "could not remove a spare workspace"));
    }
    while (!this.closed && this.ready.length + this.making.size < SPARES) {
      const made: Promise<void> = this.make(mb)
        .then(async (spare) => {
          if (this.closed) await discard(spare);
          else this.ready.push(spare);
        })
        .catch((err: unknown) =>
          this.log.warn({ err: (err as Error).message }, "could not make a spare workspace"),
        )
        .finally(() => this.making.delete(made));
      this.making.add(made);
    }
  }

  /** Unmounts and deletes every ready spare (the executor is stopping). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.making); // each discards its spare once made
    const all = this.ready.splice(0);
    await Promise.all(
      all.map((s) =>
        discard(s).catch((err: unknown) => this.log.warn({ err }, "could not remove a spare workspace")),
      ),
    );
  }

  private async make(mb: number): Promise<Spare> {
    const name = `${process.pid}-${randomUUID()}`;
    const spare = {
      dir: path.join(sparesDir(this.root), name),
      image: path.join(imagesDir(this.root), `.spare-${name}.ext4`),
      mb,
    };
    fs.mkdirSync(sparesDir(this.root), { recursive: true, mode: 0o700 });
    fs.mkdirSync(imagesDir(this.root), { recursive: true, mode: 0o700 });
    fs.mkdirSync(spare.dir, { mode: 0o700 });
    try {
      // As the mount script makes a session's image (lib/sandbox/workspace-quota.ts); the root of
      // the file system is root's until the session's mount gives it to the session's uid.
      await run(
        "/bin/sh",
        [
          "-c",
          `set -eu
           truncate -s "$2"M "$1"
           mkfs.ext4 -q -F -m 0 -E nodiscard "$1"
           mount -o loop,nosuid,nodev,noatime,discard "$1" "$3"
           chmod 700 "$3"`,
          "spare",
          spare.image,
          String(mb),
          spare.dir,
        ],
        { env: ENV, timeout: 60_000 },
      );
    } catch (err) {
      await discard(spare).catch(() => undefined); // the failure that matters is thrown below
      const e = err as Error & { stderr?: string };
      throw new Error((e.stderr ?? "").trim() || e.message, { cause: err });
    }
    return spare;
  }
}
