// What a backup holds, written last (manifest.json): a backup without one is unfinished and never
// restored. Restore checks every file against its size and SHA-256 before it touches anything, and
// refuses a backup whose database has migrations this code does not know (lib/backup/schema.ts).
import { z } from "zod";

/** Raised when the layout of backups changes; a restore refuses formats newer than it knows. */
export const MANIFEST_FORMAT = 1;
export const MANIFEST_FILE = "manifest.json";

/** Backup ids sort by time: somaagent-20261203T101500Z (UTC), a suffix if two share a second. */
export const BACKUP_ID = /^somaagent-(\d{8}T\d{6}Z)(-\d+)?$/;

export function backupIdAt(at: Date): string {
  return `somaagent-${at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}Z$/, "Z")}`;
}

/** When a backup was taken, read from its id (no download needed), or null for another name. */
export function backupTime(id: string): Date | null {
  const m = BACKUP_ID.exec(id)?.[1];
  if (!m) return null;
  const iso = `${m.slice(0, 4)}-${m.slice(4, 6)}-${m.slice(6, 8)}T${m.slice(9, 11)}:${m.slice(11, 13)}:${m.slice(13, 15)}Z`;
  return new Date(iso);
}

export const FILES = {
  database: "database.dump",
  openfgaDatabase: "openfga.dump",
  openfgaTuples: "openfga-tuples.jsonl",
  kafkaTopics: "kafka-topics.json",
  settings: "settings.json",
  providerKeys: "provider-keys.json",
} as const;

const fileEntry = z.object({
  name: z.string().regex(/^[a-z0-9.-]+$/),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export const manifestSchema = z.object({
  format: z.number().int().min(1),
  id: z.string().regex(BACKUP_ID),
  createdAt: z.iso.datetime(),
  durationMs: z.number().int().min(0),
  host: z.string(),
  app: z.object({ version: z.string(), node: z.string() }),
  /** The Prisma migrations applied to the database when it was dumped, oldest first. */
  schema: z.object({ migrations: z.array(z.string()), latest: z.string().nullable() }),
  postgres: z.object({
    server: z.string(),
    pgDump: z.string(),
    database: z.string(),
    openfgaDatabase: z.string().nullable(),
  }),
  openfga: z.object({
    storeName: z.string(),
    storeId: z.string().nullable(),
    modelId: z.string().nullable(),
    tuples: z.number().int().min(0),
  }),
  kafka: z.object({ topicPrefix: z.string(), topics: z.array(z.string()) }).nullable(),
  settings: z.object({
    scope: z.string(),
    /** The settings file's modification time, restored with it (processes compare it at start). */
    fileMtimeMs: z.number().nullable(),
  }),
  files: z.array(fileEntry),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type FileEntry = z.infer<typeof fileEntry>;

/** The manifest, or why it cannot be used: unreadable, or written by a newer release. */
export function parseManifest(text: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error("the backup's manifest.json is not JSON");
  }
  const format = (raw as { format?: unknown } | null)?.format;
  if (typeof format === "number" && format > MANIFEST_FORMAT)
    throw new Error(
      `the backup's manifest has format ${format}; this release reads format ${MANIFEST_FORMAT} and older: restore with the release that took it`,
    );
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(
      `the backup's manifest.json is not valid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  return parsed.data;
}
