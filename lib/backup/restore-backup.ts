// Restores one backup (make restore FROM=…): checks it first (manifest, format, schema, every file's
// size and SHA-256), says what it will replace, then: the app's database, migrations newer than the
// backup, OpenFGA's database, the store and model, its tuples, the tuples Postgres implies (the
// backfill job), the bus topics, this host's settings files, and drops Redis caches that could
// describe the database as it was before (they are rebuilt on first use).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Redis } from "ioredis";
import type { LoadedConfig } from "../config";
import { providerKeysPath } from "../config/provider-keys-file";
import { backfillTuples } from "../jobs/fga-backfill";
import { migrateDatabase, migrateOpenFga } from "../jobs/migrations";
import { createDb } from "../server/db";
import { createKafka } from "../server/kafka";
import { connectFga } from "../server/openfga";
import { createRedis } from "../server/redis";
import { fileDigest } from "./checksum";
import { openfgaDatabaseUrl } from "./create-backup";
import { restoreTopics, topicsFileSchema } from "./kafka-topics";
import { BACKUP_ID, FILES, MANIFEST_FILE, parseManifest, type Manifest } from "./manifest";
import { importTuples } from "./openfga-tuples";
import { pgBinDir, PgTools, pgTarget, type PgTarget } from "./postgres";
import { schemaProblem, shippedMigrations } from "./schema";
import { openStore, type BackupStore } from "./store";

export interface RestoreOptions {
  config: LoadedConfig;
  root: string;
  /** A backup id or "latest" (in backup.target), a backup's directory, or s3://bucket/prefix/<id>. */
  from: string;
  /** Databases that have tables are replaced only with this (make restore … YES=1). */
  replace: boolean;
  progress?: (line: string) => void;
}

export interface RestoreResult {
  id: string;
  manifest: Manifest;
  durationMs: number;
  steps: { name: string; ms: number; detail: string }[];
}

/** Refused before anything was changed (bad backup, newer schema, data in the way). */
export class RestoreRefused extends Error {}

/** The store and id a `from` names. */
export async function locateBackup(
  from: string,
  config: LoadedConfig,
  root: string,
): Promise<{ store: BackupStore; id: string }> {
  const backup = config.settings.backup;
  if (from === "latest" || BACKUP_ID.test(from)) {
    const store = openStore(backup.target, backup, root);
    if (from !== "latest") return { store, id: from };
    const finished = (await store.list()).filter((b) => b.finished && BACKUP_ID.test(b.id));
    const id = finished
      .map((b) => b.id)
      .sort()
      .at(-1);
    if (!id) throw new RestoreRefused(`there is no finished backup in ${store.location}`);
    return { store, id };
  }
  const trimmed = from.replace(/\/+$/, "");
  const cut = trimmed.lastIndexOf("/");
  const id = trimmed.slice(cut + 1);
  const parent = cut > 0 ? trimmed.slice(0, cut) : ".";
  if (trimmed.startsWith("s3://") && cut <= "s3://".length)
    throw new RestoreRefused(
      `${from} names a bucket, not a backup: add the backup's id (s3://bucket/prefix/<id>)`,
    );
  return { store: openStore(parent, backup, root), id };
}

export async function restoreBackup(opts: RestoreOptions): Promise<RestoreResult> {
  const { settings, settingsPath } = opts.config;
  const say = opts.progress ?? (() => undefined);
  const started = Date.now();
  const { store, id } = await locateBackup(opts.from, opts.config, opts.root);
  const staging = await fs.promises.mkdtemp(path.join(os.tmpdir(), "somaagent-restore-"));
  const steps: RestoreResult["steps"] = [];
  const step = async (name: string, fn: () => Promise<string>) => {
    const t = Date.now();
    const detail = await fn();
    steps.push({ name, ms: Date.now() - t, detail });
    say(`✔ ${name}: ${detail} (${Date.now() - t} ms)`);
  };
  try {
    // 1. The backup, checked whole before anything is touched.
    if (!(await store.has(id, MANIFEST_FILE)))
      throw new RestoreRefused(`${store.location}/${id} has no ${MANIFEST_FILE}: not a finished backup`);
    await store.get(id, MANIFEST_FILE, path.join(staging, MANIFEST_FILE));
    let manifest: Manifest;
    try {
      manifest = parseManifest(await fs.promises.readFile(path.join(staging, MANIFEST_FILE), "utf8"));
    } catch (err) {
      throw new RestoreRefused((err as Error).message);
    }
    const problem = schemaProblem(
      manifest.schema.migrations,
      shippedMigrations(opts.root),
      manifest.app.version,
    );
    if (problem) throw new RestoreRefused(problem);
    for (const f of manifest.files) {
      const local = path.join(staging, f.name);
      await store.get(id, f.name, local);
      const got = await fileDigest(local);
      if (got.bytes !== f.bytes || got.sha256 !== f.sha256)
        throw new RestoreRefused(
          `${f.name} of ${id} does not match its manifest (${got.bytes} bytes, sha256 ${got.sha256.slice(0, 12)}…; expected ${f.bytes}, ${f.sha256.slice(0, 12)}…): the backup is damaged`,
        );
    }
    const has = (name: string) => manifest.files.some((f) => f.name === name);
    const file = (name: string) => path.join(staging, name);

    // 2. What will be replaced, said before it is.
    const pg = new PgTools(pgBinDir(settings.backup.pgBinDir));
    const app = pgTarget(settings.database.url);
    const fgaUrl = openfgaDatabaseUrl(settings.backup);
    const fgaDb = has(FILES.openfgaDatabase) && fgaUrl ? pgTarget(fgaUrl) : null;
    say(
      `backup ${id} from ${store.location}: taken ${manifest.createdAt} on ${manifest.host}, app ${manifest.app.version}, ` +
        `schema ${manifest.schema.latest ?? "(empty)"} (${manifest.schema.migrations.length} migrations), ${manifest.files.length} files verified`,
    );
    say(`restores: database ${app.label} ← ${manifest.postgres.database}`);
    if (fgaDb) say(`restores: OpenFGA database ${fgaDb.label} ← ${manifest.postgres.openfgaDatabase ?? "?"}`);
    else if (has(FILES.openfgaDatabase))
      say(
        "skips: OpenFGA's database (backup.openfgaDatabaseUrl is off here); the store's tuples are written instead",
      );
    say(
      `restores: OpenFGA store ${settings.openfga.storeName} (${manifest.openfga.tuples} tuples in the backup, then the backfill)`,
    );
    if (manifest.kafka)
      say(
        `restores: Kafka topic settings (${manifest.kafka.topics.length} topics) with prefix ${settings.kafka.topicPrefix}`,
      );
    if (has(FILES.settings))
      say(
        `restores: settings file ${settingsPath}${has(FILES.providerKeys) ? " and provider-keys.json" : ""}`,
      );
    const inTheWay: string[] = [];
    for (const target of [app, fgaDb].filter((x): x is PgTarget => x !== null)) {
      if (!(await pg.databaseExists(target))) continue;
      const tables = await pg.tableCount(target);
      if (tables > 0) inTheWay.push(`${target.label} has ${tables} tables`);
    }
    if (inTheWay.length && !opts.replace)
      throw new RestoreRefused(
        `${inTheWay.join("; ")}: a restore replaces them. Run again with --yes (make restore FROM=… YES=1) to do that`,
      );
    if (inTheWay.length) say(`replaces: ${inTheWay.join("; ")}`);

    // 3. The databases.
    const restoreDb = async (target: PgTarget, dump: string) => {
      const created = !(await pg.databaseExists(target));
      if (created) await pg.createDatabase(target);
      await pg.restore(target, dump);
      const size = (await fs.promises.stat(dump)).size;
      return `${target.label}${created ? " (created)" : ""} from ${size} bytes`;
    };
    await step("database", () => restoreDb(app, file(FILES.database)));
    await step("database migrations", () => migrateDatabase(opts.root, settings.database.url));
    if (fgaDb) await step("OpenFGA database", () => restoreDb(fgaDb, file(FILES.openfgaDatabase)));

    // 4. Authorization: the store and model, the saved tuples (unless the database restore brought
    // the same store back), and the tuples every user, session and schedule implies.
    const { apiUrl, storeName } = settings.openfga;
    await step("OpenFGA store", async () => {
      const r = await migrateOpenFga(opts.root, apiUrl, storeName);
      return `store ${r.storeId}${r.createdStore ? " (created)" : ""}, model ${r.modelId}${r.wroteModel ? " (written)" : ""}`;
    });
    const fga = await connectFga(apiUrl, storeName);
    if (has(FILES.openfgaTuples) && !(fgaDb && fga.storeId === manifest.openfga.storeId))
      await step(
        "OpenFGA tuples",
        async () => `${await importTuples(fga.client, file(FILES.openfgaTuples))} written`,
      );
    await step("OpenFGA backfill", async () => {
      const db = createDb(settings.database.url);
      try {
        const r = await backfillTuples(db, fga.client);
        return `${r.users} users, ${r.sessions} sessions and ${r.schedules} schedules have their tuples`;
      } finally {
        await db.$disconnect();
      }
    });

    // 5. The bus topics, under this deployment's prefix.
    if (has(FILES.kafkaTopics) && (settings.kafka.enabled || settings.bus.transport === "kafka")) {
      await step("Kafka topics", async () => {
        const saved = topicsFileSchema.parse(
          JSON.parse(await fs.promises.readFile(file(FILES.kafkaTopics), "utf8")),
        );
        const prefix = settings.kafka.topicPrefix;
        const topics = saved.topics.map((t) => ({ ...t, name: prefix + t.name.slice(saved.prefix.length) }));
        const admin = createKafka(settings.kafka, `${settings.kafka.clientId}-restore`).admin();
        await admin.connect();
        try {
          const report = await restoreTopics(admin, topics);
          return report.length ? report.join("; ") : "none in the backup";
        } finally {
          await admin.disconnect();
        }
      });
    }

    // 6. This host's settings files, with the settings file's time, so a process starting does not
    // take the restored copy for a newer hand edit (lib/settings/shared.ts compares them).
    if (has(FILES.settings))
      await step("settings files", async () => {
        await fs.promises.mkdir(path.dirname(settingsPath), { recursive: true });
        await fs.promises.copyFile(file(FILES.settings), settingsPath);
        const mtime = manifest.settings.fileMtimeMs;
        if (mtime !== null) await fs.promises.utimes(settingsPath, new Date(mtime), new Date(mtime));
        const written = [settingsPath];
        if (has(FILES.providerKeys)) {
          const keys = providerKeysPath(settingsPath);
          await fs.promises.copyFile(file(FILES.providerKeys), keys);
          await fs.promises.chmod(keys, 0o600);
          written.push(keys);
        }
        return written.join(", ");
      });

    await step("Redis caches", async () => {
      const redis = createRedis(settings.redis.url);
      try {
        return `${await dropCaches(redis)} cached entries dropped (rebuilt on first use)`;
      } finally {
        redis.disconnect();
      }
    });
    const durationMs = Date.now() - started;
    say(`restored ${id} in ${durationMs} ms`);
    return { id, manifest, durationMs, steps };
  } finally {
    await fs.promises.rm(staging, { recursive: true, force: true });
  }
}

/**
 * Caches that describe database rows (API tokens, budget totals, a session's model context): after a
 * restore they may describe rows that are no longer so. Sign-ins, rate limits and queues stay.
 */
export const CACHE_PATTERNS = ["auth:token:*", "usage:tokens:*", "session:*:context"];

async function dropCaches(redis: Redis): Promise<number> {
  let dropped = 0;
  for (const match of CACHE_PATTERNS) {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", match, "COUNT", 500);
      if (keys.length) dropped += await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  }
  return dropped;
}
