// A size limit on each session's workspace (executor.workspaceMaxMb). The workspace is its own ext4
// file system: a sparse image file (<root>/.images/<session>.ext4) loop-mounted at the workspace path
// on first use. A program writing past it gets ENOSPC from the kernel, the host disk holds at most
// the image's size, and one session filling its workspace leaves every other one (and the host) alone.
//
// Why a loop-mounted image rather than a project quota or a per-uid quota: both need a file system
// mounted with quotas enabled (prjquota/usrquota) under the workspace root, which the executor cannot
// arrange on an arbitrary host, and XFS/ext4 project ids would be one more id space to allocate. An
// image needs only root, /dev/loop-control and e2fsprogs; its cost is one mkfs + mount per session
// (tens of milliseconds), and a warm call pays two stat() calls (docs/sandbox.md, "Workspace quota").
//
// The mount point underneath is root-owned and 0700, so if a workspace is ever not mounted when a
// sandbox binds it, the sandbox's user cannot write there at all: it fails closed, never onto the
// host disk.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const ENV = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
} as unknown as NodeJS.ProcessEnv;

export type QuotaProbe = { ok: true; ms: number } | { ok: false; reason: string };

export const imagesDir = (root: string) => path.join(root, ".images");
export const imagePath = (root: string, sessionId: string) => path.join(imagesDir(root), `${sessionId}.ext4`);
const lockPath = (root: string, sessionId: string) => path.join(imagesDir(root), `${sessionId}.lock`);

/** True when dir is a mount point of its own (its device differs from its parent's). */
export function isMounted(dir: string): boolean {
  try {
    return fs.statSync(dir).dev !== fs.statSync(path.dirname(dir)).dev;
  } catch {
    return false;
  }
}

// Run under flock(1) on the session's lock file, so two executors sharing a workspace root (or two
// calls of one session) never mount the same image twice. Arguments, not interpolation: no quoting.
const MOUNT_SCRIPT = String.raw`
set -eu
dir=$1 img=$2 mb=$3 uid=$4 spare_dir=$5 spare_img=$6
mountpoint -q "$dir" && exit 0
# A spare (lib/sandbox/workspace-spares.ts: made and mounted ahead of time) becomes this workspace
# when the session has none yet: its mount moved here, then its image renamed. If the move is
# refused (a shared mount), the spare stays as it was and the image is made below.
if [ -n "$spare_dir" ] && [ ! -f "$img" ] && [ -z "$(ls -A "$dir")" ] && mountpoint -q "$spare_dir" \
  && mount --move "$spare_dir" "$dir"; then
  if ! mv "$spare_img" "$img"; then umount "$dir"; echo "could not take the spare image $spare_img" >&2; exit 4; fi
  rmdir "$spare_dir" 2>/dev/null || true
fi
mountpoint -q "$dir" && { rmdir "$dir/lost+found" 2>/dev/null || true; chown "$uid:$uid" "$dir"; chmod 700 "$dir"; exit 0; }
if [ ! -f "$img" ]; then
  rm -f "$img.new"
  truncate -s "$mb"M "$img.new"
  # -m 0: no blocks reserved for root; nodiscard: the new file is sparse already.
  mkfs.ext4 -q -F -m 0 -E root_owner="$uid:$uid",nodiscard "$img.new"
  mv "$img.new" "$img"
fi
if [ -n "$(ls -A "$dir")" ]; then
  # A workspace made before the quota: carry its files into the image, or refuse if they do not fit.
  carry="$dir.carry"
  mkdir -p "$carry"
  mount -o loop,nosuid,nodev "$img" "$carry"
  if ! cp -a "$dir/." "$carry/" 2>/dev/null; then
    umount "$carry"; rmdir "$carry"; rm -f "$img"
    echo "its files ($(du -sm "$dir" | cut -f1) MiB) do not fit in executor.workspaceMaxMb ($mb MiB)" >&2
    exit 3
  fi
  umount "$carry"; rmdir "$carry"
  find "$dir" -mindepth 1 -delete
fi
# discard: files deleted in the workspace give their blocks back to the host disk.
mount -o loop,nosuid,nodev,noatime,discard "$img" "$dir"
rmdir "$dir/lost+found" 2>/dev/null || true
chown "$uid:$uid" "$dir"
chmod 700 "$dir"
`;

const UNMOUNT_SCRIPT = String.raw`
set -u
dir=$1
mountpoint -q "$dir" || exit 0
# Lazy as a last resort: a sandbox still running keeps its own bind of the file system until it ends.
umount "$dir" 2>/dev/null || umount -l "$dir"
`;

async function locked(lock: string, script: string, args: string[]): Promise<void> {
  try {
    await run("flock", [lock, "/bin/sh", "-c", script, "sh", ...args], { env: ENV, timeout: 60_000 });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error((e.stderr ?? "").trim() || e.message, { cause: err });
  }
}

/**
 * Makes sure the session's workspace is its mounted image of `maxMb` (made on first use), owned by
 * `uid`. A warm call (already mounted) costs two stat() calls and spawns nothing.
 */
export async function mountWorkspace(opts: {
  root: string;
  sessionId: string;
  uid: number;
  maxMb: number;
  /** A spare of maxMb to take if the session has no image yet (it is left alone otherwise). */
  spare?: { dir: string; image: string };
}): Promise<string> {
  const dir = path.join(opts.root, opts.sessionId);
  if (isMounted(dir)) return dir;
  fs.mkdirSync(imagesDir(opts.root), { recursive: true, mode: 0o700 });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  await locked(lockPath(opts.root, opts.sessionId), MOUNT_SCRIPT, [
    dir,
    imagePath(opts.root, opts.sessionId),
    String(opts.maxMb),
    String(opts.uid),
    opts.spare?.dir ?? "",
    opts.spare?.image ?? "",
  ]);
  if (!isMounted(dir)) throw new Error(`${dir} is still not a mount point after mounting its image`);
  return dir;
}

/** Unmounts the session's workspace if it is mounted; the image keeps its files. */
export async function unmountWorkspace(root: string, sessionId: string): Promise<void> {
  const dir = path.join(root, sessionId);
  if (!isMounted(dir)) return;
  await locked(lockPath(root, sessionId), UNMOUNT_SCRIPT, [dir]);
}

/** Unmounts and deletes everything of a session's workspace: mount, image, lock file, directory. */
export async function removeWorkspace(root: string, sessionId: string): Promise<void> {
  await unmountWorkspace(root, sessionId);
  fs.rmSync(path.join(root, sessionId), { recursive: true, force: true });
  fs.rmSync(imagePath(root, sessionId), { force: true });
  fs.rmSync(lockPath(root, sessionId), { force: true });
}

/**
 * Whether this host can give workspaces a quota: root, /dev/loop-control, e2fsprogs and mount(8),
 * tried for real with a 16 MiB image mounted, written and removed under the workspace root.
 */
export async function probeWorkspaceQuota(root: string): Promise<QuotaProbe> {
  const started = performance.now();
  if (process.getuid?.() !== 0)
    return { ok: false, reason: `the executor runs as uid ${process.getuid?.()}, and only root can mount` };
  if (!fs.existsSync("/dev/loop-control"))
    return { ok: false, reason: "no loop devices here (/dev/loop-control is missing)" };
  const id = `.probe-${randomUUID()}`;
  try {
    fs.mkdirSync(root, { recursive: true, mode: 0o711 });
    const dir = await mountWorkspace({ root, sessionId: id, uid: 0, maxMb: 16 });
    fs.writeFileSync(path.join(dir, "probe"), "ok");
    await removeWorkspace(root, id);
  } catch (err) {
    let left = "";
    try {
      await removeWorkspace(root, id);
    } catch (cleanup) {
      left = ` (and its probe under ${root} could not be removed: ${(cleanup as Error).message})`;
    }
    return {
      ok: false,
      reason:
        `cannot loop-mount an ext4 image under ${root}: ${(err as Error).message}${left} ` +
        "(needs root with CAP_SYS_ADMIN, free loop devices and e2fsprogs)",
    };
  }
  return { ok: true, ms: Math.round(performance.now() - started) };
}
