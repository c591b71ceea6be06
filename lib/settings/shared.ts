// Settings as shared state: Postgres holds the document (./store.ts) and this host's settings file is
// its local copy, which the configuration loader reads (source 2). A process brings its copy up to
// date at start and whenever a change is announced on Redis (by version, from a random process id:
// pids collide across containers); a file edited by hand after the stored version was written is
// imported at start as the next version, so the file keeps working as the import/export format.
import fs from "node:fs";
import os from "node:os";
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { getConfig, reloadConfig, type LoadedConfig } from "../config";
import { AppError } from "../errors";
import { flatten } from "../config/paths";
import { db } from "../server/db";
import { singleton } from "../singleton";
import { writeFileAtomic } from "./atomic-write";
import { readProviderKeys, replaceProviderKeys } from "./provider-keys";
import { keysShared, readStored, settingsScope, writeStored, type StoredSettings } from "./store";

export const SETTINGS_CHANNEL = "settings:changed";

export interface SettingsAnnouncement {
  processId: string;
  scope: string;
  version: number;
}

const state = singleton("settings-shared", () => ({ processId: randomUUID(), version: 0 }));

/** This process, as its announcements name it. */
export function processId(): string {
  return state.processId;
}

/** Two documents say the same (Postgres's jsonb does not keep the order of keys). */
function sameDocument(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const canon = (d: Record<string, unknown>) =>
    JSON.stringify([...flatten(d)].sort(([x], [y]) => (x < y ? -1 : 1)));
  return canon(a) === canon(b);
}

function readLocal(file: string): { document: Record<string, unknown>; mtimeMs: number } | undefined {
  try {
    const mtimeMs = fs.statSync(file).mtimeMs;
    return { document: JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>, mtimeMs };
  } catch {
    return undefined; // none, or unreadable: the loader has already said what is wrong with it
  }
}

/** This host's copy becomes the stored version (document, and keys when they are shared). */
export function applyStored(stored: StoredSettings, log?: Logger): LoadedConfig {
  const file = getConfig().settingsPath;
  writeFileAtomic(file, `${JSON.stringify(stored.document, null, 2)}\n`);
  if (stored.keys) replaceProviderKeys(stored.keys);
  if (stored.keysUnreadable)
    log?.error(
      "the stored provider keys cannot be opened with this SOMA_SETTINGS_KEY; this host keeps its own",
    );
  state.version = stored.version;
  return reloadConfig();
}

/** Tells every process of the scope that `version` is stored. */
export async function announce(redis: Redis, version: number): Promise<void> {
  const message: SettingsAnnouncement = { processId: state.processId, scope: settingsScope(), version };
  await redis.publish(SETTINGS_CHANNEL, JSON.stringify(message)).catch(() => undefined);
}

/** Records this process's own write (its copy is already up to date). */
export function wroteVersion(version: number): void {
  state.version = version;
}

/**
 * At start: the stored document wins, unless this host's file was edited after it was stored (or
 * nothing is stored yet); then the file, which the loader has just accepted, is stored as the next
 * version and announced. Processes starting together on one settings file (make dev-up's gateway,
 * executor and scheduler; several gateway processes) may each find the file newer: the one whose
 * write comes second is refused, reads again and finds the other's version, now newer than the file.
 */
export async function syncAtStart(redis: Redis, log: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await syncOnce(redis, log);
    } catch (err) {
      if (!(err instanceof AppError && err.code === "conflict") || attempt >= 5) throw err;
      log.info({ attempt }, "settings stored by another process meanwhile; reading them again");
    }
  }
}

async function syncOnce(redis: Redis, log: Logger): Promise<void> {
  const stored = await readStored(db());
  const local = readLocal(getConfig().settingsPath);
  const edited =
    local &&
    (!stored ||
      (local.mtimeMs > stored.updatedAt.getTime() && !sameDocument(local.document, stored.document)));
  if (local && edited) {
    const version = await writeStored(db(), {
      after: stored?.version ?? null,
      document: local.document,
      ...(keysShared() && !stored?.keys ? { keys: readProviderKeys() } : {}),
      by: `file on ${os.hostname()}`,
    });
    state.version = version;
    if (stored?.keys) replaceProviderKeys(stored.keys);
    await announce(redis, version);
    log.info({ version, scope: settingsScope() }, "settings file imported into the shared settings");
    return;
  }
  if (stored) applyStored(stored, log);
}

/** An announcement from another process: fetch and apply the newer version. */
export async function onAnnouncement(raw: string, log: Logger): Promise<void> {
  let m: Partial<SettingsAnnouncement>;
  try {
    m = JSON.parse(raw) as Partial<SettingsAnnouncement>;
  } catch {
    return;
  }
  if (m.processId === state.processId || m.scope !== settingsScope()) return;
  if (typeof m.version === "number" && m.version <= state.version) return;
  const stored = await readStored(db());
  if (!stored || stored.version <= state.version) return;
  applyStored(stored, log);
  log.info({ version: stored.version }, "settings changed: configuration reloaded");
}
