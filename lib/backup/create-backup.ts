// Takes one backup (make backup, and the scheduler's backup.run job): the app's database (pg_dump
// -Fc), OpenFGA's database and its store's tuples, the bus topics' configuration and this host's
// settings files, each checksummed into the manifest, which is written last. Then retention.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { LoadedConfig } from "../config";
import { createKafka } from "../server/kafka";
import { findStore } from "../server/openfga";
import { providerKeysPath } from "../config/provider-keys-file";
import { settingsScope } from "../settings/store";
import { fileDigest } from "./checksum";
import { describeTopics } from "./kafka-topics";
import { backupIdAt, FILES, MANIFEST_FILE, MANIFEST_FORMAT, type FileEntry, type Manifest } from "./manifest";
import { exportTuples } from "./openfga-tuples";
import { pgBinDir, PgTools, pgTarget } from "./postgres";
import { backupsToDelete } from "./retention";
import { APPLIED_MIGRATIONS_SQL } from "./schema";
import { openStore } from "./store";
import { OpenFgaClient } from "@openfga/sdk";

export interface BackupOptions {
  config: LoadedConfig;
  root: string;
  /** Overrides backup.target (make backup TO=…). */
  target?: string;
  now?: () => Date;
  /** One line per step, for the command's output or the job's log. */
  progress?: (line: string) => void;
}

export interface BackupResult {
  id: string;
  location: string;
  bytes: number;
  durationMs: number;
  manifest: Manifest;
  /** Backups retention removed. */
  deleted: string[];
}

export async function createBackup(opts: BackupOptions): Promise<BackupResult> {
  const { settings, settingsPath } = opts.config;
  const now = opts.now ?? (() => new Date());
  const say = opts.progress ?? (() => undefined);
  const started = now();
  const store = openStore(opts.target ?? settings.backup.target, settings.backup, opts.root);
  const existing = await store.list();
  let id = backupIdAt(started);
  for (let n = 2; existing.some((b) => b.id === id); n++) id = `${backupIdAt(started)}-${n}`;

  const pg = new PgTools(pgBinDir(settings.backup.pgBinDir));
  const staging = await fs.promises.mkdtemp(path.join(os.tmpdir(), "somaagent-backup-"));
  const files: FileEntry[] = [];
  const add = async (name: string) => {
    const file = path.join(staging, name);
    await fs.promises.chmod(file, 0o600);
    files.push({ name, ...(await fileDigest(file)) });
  };
  try {
    const app = pgTarget(settings.database.url);
    const pgDump = await pg.version("pg_dump");
    const server = await pg.serverVersion(app);
    const migrations = (await pg.query(app, APPLIED_MIGRATIONS_SQL)).split(",").filter(Boolean);
    let t = Date.now();
    await pg.dump(app, path.join(staging, FILES.database));
    await add(FILES.database);
    say(
      `database ${app.label}: ${sizeOf(files.at(-1)!.bytes)} in ${Date.now() - t} ms (${migrations.length} migrations, server ${server})`,
    );

    let openfgaDatabase: string | null = null;
    const fgaUrl = openfgaDatabaseUrl(settings.backup);
    if (fgaUrl) {
      const fgaDb = pgTarget(fgaUrl);
      t = Date.now();
      await pg.dump(fgaDb, path.join(staging, FILES.openfgaDatabase));
      await add(FILES.openfgaDatabase);
      openfgaDatabase = fgaDb.label;
      say(`OpenFGA database ${fgaDb.label}: ${sizeOf(files.at(-1)!.bytes)} in ${Date.now() - t} ms`);
    }

    const { apiUrl, storeName } = settings.openfga;
    const storeId = (await findStore(apiUrl, storeName)) ?? null;
    let modelId: string | null = null;
    let tuples = 0;
    if (storeId) {
      modelId =
        (await new OpenFgaClient({ apiUrl, storeId }).readAuthorizationModels({ pageSize: 1 }))
          .authorization_models[0]?.id ?? null;
      tuples = await exportTuples(apiUrl, storeId, path.join(staging, FILES.openfgaTuples));
      await add(FILES.openfgaTuples);
      say(`OpenFGA store ${storeName} (${storeId}): ${tuples} tuples`);
    } else say(`OpenFGA store ${storeName} does not exist: no tuples`);

    let kafka: Manifest["kafka"] = null;
    if (settings.kafka.enabled || settings.bus.transport === "kafka") {
      const admin = createKafka(settings.kafka, `${settings.kafka.clientId}-backup`).admin();
      await admin.connect();
      try {
        const topics = await describeTopics(admin, settings.kafka.topicPrefix);
        await fs.promises.writeFile(
          path.join(staging, FILES.kafkaTopics),
          JSON.stringify({ prefix: settings.kafka.topicPrefix, topics }, null, 2),
        );
        await add(FILES.kafkaTopics);
        kafka = { topicPrefix: settings.kafka.topicPrefix, topics: topics.map((x) => x.name) };
        say(`Kafka: ${topics.length} topics with prefix ${settings.kafka.topicPrefix}`);
      } finally {
        await admin.disconnect();
      }
    }

    // The shared settings document is a table in the database; this host's copy and provider keys
    // (keys entered without SOMA_SETTINGS_KEY exist only here) are files.
    let fileMtimeMs: number | null = null;
    for (const [name, src] of [
      [FILES.settings, settingsPath],
      [FILES.providerKeys, providerKeysPath(settingsPath)],
    ] as const) {
      if (!fs.existsSync(src)) continue;
      await fs.promises.copyFile(src, path.join(staging, name));
      await add(name);
      if (name === FILES.settings) fileMtimeMs = (await fs.promises.stat(src)).mtimeMs;
      say(`settings: ${name} from ${src}`);
    }

    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      id,
      createdAt: started.toISOString(),
      durationMs: 0,
      host: os.hostname(),
      app: { version: appVersion(opts.root), node: process.versions.node },
      schema: { migrations, latest: migrations.at(-1) ?? null },
      postgres: { server, pgDump, database: app.label, openfgaDatabase },
      openfga: { storeName, storeId, modelId, tuples },
      kafka,
      settings: { scope: settingsScope(), fileMtimeMs },
      files,
    };
    for (const f of files) await store.put(id, f.name, path.join(staging, f.name));
    manifest.durationMs = now().getTime() - started.getTime();
    await fs.promises.writeFile(path.join(staging, MANIFEST_FILE), JSON.stringify(manifest, null, 2), {
      mode: 0o600,
    });
    await store.put(id, MANIFEST_FILE, path.join(staging, MANIFEST_FILE));
    const bytes = files.reduce((n, f) => n + f.bytes, 0);
    say(`backup ${id}: ${sizeOf(bytes)} in ${manifest.durationMs} ms → ${store.location}/${id}`);

    const deleted = backupsToDelete(await store.list(), settings.backup, now());
    for (const old of deleted) {
      await store.remove(old);
      say(`retention: deleted ${old}`);
    }
    return {
      id,
      location: `${store.location}/${id}`,
      bytes,
      durationMs: manifest.durationMs,
      manifest,
      deleted,
    };
  } finally {
    await fs.promises.rm(staging, { recursive: true, force: true });
  }
}

/** backup.openfgaDatabaseUrl, or undefined when it is off. */
export function openfgaDatabaseUrl(backup: LoadedConfig["settings"]["backup"]): string | undefined {
  const url = backup.openfgaDatabaseUrl;
  return url && url !== "off" ? url : undefined;
}

export function appVersion(root: string): string {
  try {
    return (
      (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version?: string })
        .version ?? "unknown"
    );
  } catch {
    return "unknown";
  }
}

export function sizeOf(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
