// The settings document in Postgres: one row per scope (SOMA_SETTINGS_SCOPE, "default"), with a
// version that every write moves on (a write that did not start from the current version is refused)
// and the provider keys sealed with AES-256-GCM under SOMA_SETTINGS_KEY. Without that key the keys are
// not shared: they stay in this host's provider-keys.json, as on a single host before.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { AppError } from "../errors";
import type { Db } from "../server/db";
import { readSecret } from "../config";

export interface StoredSettings {
  version: number;
  document: Record<string, unknown>;
  /** The provider keys, opened; undefined when none are stored here or they cannot be opened. */
  keys: Record<string, string> | undefined;
  /** Keys are stored but this process cannot open them (another SOMA_SETTINGS_KEY). */
  keysUnreadable: boolean;
  updatedAt: Date;
}

export function settingsScope(): string {
  return process.env.SOMA_SETTINGS_SCOPE?.trim() || "default";
}

/** The 32-byte sealing key from SOMA_SETTINGS_KEY (any string: it is hashed), or undefined. */
function sealingKey(): Buffer | undefined {
  const raw = readSecret("SOMA_SETTINGS_KEY");
  return raw ? createHash("sha256").update(raw).digest() : undefined;
}

export function keysShared(): boolean {
  return sealingKey() !== undefined;
}

export function sealKeys(keys: Record<string, string>, key = sealingKey()): string | null {
  if (!key) return null;
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(keys), "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64"), cipher.getAuthTag().toString("base64"), body.toString("base64")].join(
    ".",
  );
}

/** The keys, or undefined when they cannot be opened with this key (tampered, or another key). */
export function openKeys(sealed: string, key = sealingKey()): Record<string, string> | undefined {
  const [v, iv, tag, body] = sealed.split(".");
  if (!key || v !== "v1" || !iv || !tag || !body) return undefined;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64"));
    decipher.setAuthTag(Buffer.from(tag, "base64"));
    const text = Buffer.concat([decipher.update(Buffer.from(body, "base64")), decipher.final()]).toString(
      "utf8",
    );
    return JSON.parse(text) as Record<string, string>;
  } catch {
    return undefined;
  }
}

export async function readStored(db: Db, scope = settingsScope()): Promise<StoredSettings | null> {
  const row = await db.settingsDocument.findUnique({ where: { scope } });
  if (!row) return null;
  const keys = row.keysSealed ? openKeys(row.keysSealed) : undefined;
  return {
    version: row.version,
    document: row.document as Record<string, unknown>,
    keys,
    keysUnreadable: Boolean(row.keysSealed) && keys === undefined,
    updatedAt: row.updatedAt,
  };
}

/**
 * Writes the next version. `after` is the version the change was made from (null: there was none);
 * when another process wrote in between, nothing is written and the caller gets a 409.
 * `keys` undefined leaves the stored keys as they are.
 */
export async function writeStored(
  db: Db,
  change: {
    after: number | null;
    document: Record<string, unknown>;
    keys?: Record<string, string>;
    by: string;
  },
  scope = settingsScope(),
): Promise<number> {
  const sealed = change.keys === undefined ? undefined : sealKeys(change.keys);
  const data = {
    document: change.document as object,
    updatedBy: change.by,
    updatedAt: new Date(),
    ...(sealed === undefined ? {} : { keysSealed: sealed }),
  };
  const conflict = () =>
    new AppError("conflict", "The settings were changed meanwhile by another process; try again.", {
      headers: { "retry-after": "1" },
    });
  if (change.after === null) {
    try {
      await db.settingsDocument.create({ data: { scope, version: 1, ...data } });
    } catch (err) {
      if ((err as { code?: string }).code === "P2002") throw conflict();
      throw err;
    }
    return 1;
  }
  const moved = await db.settingsDocument.updateMany({
    where: { scope, version: change.after },
    data: { ...data, version: change.after + 1 },
  });
  if (moved.count === 0) throw conflict();
  return change.after + 1;
}
