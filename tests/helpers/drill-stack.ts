// A deployment of its own for the backup drill (tests/int/backup-restore.int.test.ts), on the shared
// services but touching none of their other data: its own database and OpenFGA database (made and
// dropped here), its own OpenFGA server on those, a Redis database of its own, its own Kafka topic
// prefix and settings file. `wipe` deletes what `make dev-clean` deletes, for this deployment only.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { OpenFgaClient } from "@openfga/sdk";
import { createKafka } from "@/lib/server/kafka";
import { createRedis } from "@/lib/server/redis";
import { pgBinDir, PgTools, pgTarget } from "@/lib/backup/postgres";
import { dropDatabase } from "@/lib/db/scratch-database";
import { ROOT, freePort, settings, startProcess, stopProcess, waitUntil } from "./services";

const run = promisify(execFile);

/** The OpenFGA binary scripts/services/openfga.sh built (make test's services step). */
function openfgaBinary(): string {
  const lib = fs.readFileSync(path.join(ROOT, "scripts/services/lib.sh"), "utf8");
  const version = /^OPENFGA_VERSION="([^"]+)"/m.exec(lib)?.[1];
  const cache = process.env.SOMA_CACHE_DIR || path.join(os.homedir(), ".cache", "somaagent");
  return path.join(cache, "bin", `openfga-${version}`);
}

/** A database URL on the test database's server, for another database. */
function sibling(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  u.search = "";
  return u.toString();
}

export class DrillStack {
  readonly id = randomUUID().slice(0, 8);
  readonly dbUrl: string;
  readonly fgaDbUrl: string;
  readonly redisUrl: string;
  readonly prefix = `drill-${this.id}`;
  readonly storeName = "somaagent-drill";
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "soma-drill-"));
  readonly settingsFile = path.join(this.dir, "settings", "settings.json");
  readonly backupDir = path.join(this.dir, "backups");
  fgaUrl = "";
  private fgaPorts: number[] = [];
  private openfga: ReturnType<typeof startProcess> | undefined;
  private readonly pg = new PgTools(pgBinDir(""));
  private readonly admin: ReturnType<typeof pgTarget>;

  constructor(redisDb: number) {
    const base = settings().database.url;
    this.dbUrl = sibling(base, `somaagent_drill_${this.id}`);
    this.fgaDbUrl = sibling(base, `somaagent_drill_${this.id}_fga`);
    const r = new URL(settings().redis.url);
    r.pathname = `/${redisDb}`;
    this.redisUrl = r.toString();
    this.admin = pgTarget(base);
  }

  /** The variables that point a process (gateway, executor, scheduler, make backup) at this deployment. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      DATABASE_URL: this.dbUrl,
      REDIS_URL: this.redisUrl,
      OPENFGA_API_URL: this.fgaUrl,
      SOMA_OPENFGA_STORE_NAME: this.storeName,
      SOMA_KAFKA_TOPIC_PREFIX: this.prefix,
      SOMA_EXECUTOR_CONSUMER_GROUP: `${this.prefix}-tool-executor`,
      SOMA_SETTINGS_FILE: this.settingsFile,
      SOMA_SETTINGS_SCOPE: `drill-${this.id}`,
      SOMA_BACKUP_TARGET: this.backupDir,
      SOMA_BACKUP_OPENFGA_DATABASE_URL: this.fgaDbUrl,
      ...extra,
    };
  }

  private sql(statement: string): Promise<string> {
    return this.pg.query(this.admin, statement, "postgres");
  }

  /** Empty databases, as `make dev-up` makes them (scripts/services/postgres.sh bootstrap_roles). */
  async createDatabases(which: ("app" | "fga")[] = ["app", "fga"]): Promise<void> {
    for (const url of this.urls(which)) await this.sql(`create database "${new URL(url).pathname.slice(1)}"`);
  }

  async dropDatabases(which: ("app" | "fga")[] = ["app", "fga"]): Promise<void> {
    for (const url of this.urls(which))
      await dropDatabase(settings().database.url, new URL(url).pathname.slice(1));
  }

  private urls(which: ("app" | "fga")[]): string[] {
    return which.map((w) => (w === "app" ? this.dbUrl : this.fgaDbUrl));
  }

  /** OpenFGA on this deployment's OpenFGA database: its own migration, then the server. */
  async startOpenFga(): Promise<void> {
    const bin = openfgaBinary();
    const uri = `${this.fgaDbUrl.replace(/^postgresql:/, "postgres:")}?sslmode=disable`;
    await run(bin, ["migrate", "--datastore-engine", "postgres", "--datastore-uri", uri]);
    if (!this.fgaPorts.length) this.fgaPorts = [await freePort(), await freePort(), await freePort()];
    const [http, grpc, metrics] = this.fgaPorts as [number, number, number];
    this.fgaUrl = `http://127.0.0.1:${http}`;
    this.openfga = startProcess(bin, [
      "run",
      "--datastore-engine=postgres",
      `--datastore-uri=${uri}`,
      `--http-addr=127.0.0.1:${http}`,
      `--grpc-addr=127.0.0.1:${grpc}`,
      `--metrics-addr=127.0.0.1:${metrics}`,
      "--playground-enabled=false",
      "--log-format=json",
      "--log-level=warn",
    ]);
    const p = this.openfga;
    await waitUntil(
      async () => {
        if (p.exitCode !== null) throw new Error(`openfga exited: ${p.output().slice(-1000)}`);
        return (await fetch(`${this.fgaUrl}/healthz`)).ok;
      },
      60_000,
      "the drill's OpenFGA",
    );
  }

  async stopOpenFga(): Promise<void> {
    if (this.openfga) await stopProcess(this.openfga);
    this.openfga = undefined;
  }

  /** Every tuple of the drill's store, as "user relation object" lines, sorted. */
  async tuples(): Promise<string[]> {
    const list = await new OpenFgaClient({ apiUrl: this.fgaUrl }).listStores();
    const store = list.stores.find((s) => s.name === this.storeName);
    if (!store) return [];
    const client = new OpenFgaClient({ apiUrl: this.fgaUrl, storeId: store.id });
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.read({}, { pageSize: 100, ...(token ? { continuationToken: token } : {}) });
      out.push(...page.tuples.map((t) => `${t.key.user} ${t.key.relation} ${t.key.object}`));
      token = page.continuation_token || undefined;
    } while (token);
    return out.sort();
  }

  /** Deletes the drill's store through the API (as one would on a managed OpenFGA). */
  async deleteStore(): Promise<void> {
    const list = await new OpenFgaClient({ apiUrl: this.fgaUrl }).listStores();
    for (const s of list.stores.filter((x) => x.name === this.storeName))
      await new OpenFgaClient({ apiUrl: this.fgaUrl, storeId: s.id }).deleteStore();
  }

  kafkaAdmin() {
    return createKafka(settings().kafka, `drill-${this.id}`).admin();
  }

  async deleteTopics(): Promise<void> {
    const admin = this.kafkaAdmin();
    await admin.connect();
    try {
      const ours = (await admin.listTopics()).filter((t) => t.startsWith(`${this.prefix}.`));
      if (ours.length) await admin.deleteTopics({ topics: ours, timeout: 10_000 });
    } finally {
      await admin.disconnect();
    }
  }

  async flushRedis(): Promise<void> {
    const r = createRedis(this.redisUrl);
    try {
      await r.flushdb();
    } finally {
      r.disconnect();
    }
  }

  async redisKeys(pattern: string): Promise<string[]> {
    const r = createRedis(this.redisUrl);
    try {
      return await r.keys(pattern);
    } finally {
      r.disconnect();
    }
  }

  /** What make dev-clean deletes (data of Postgres, OpenFGA, Redis, Kafka; the settings file), for this deployment. */
  async wipe(): Promise<void> {
    await this.stopOpenFga();
    await this.dropDatabases();
    await this.flushRedis();
    await this.deleteTopics();
    fs.rmSync(path.dirname(this.settingsFile), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    await this.stopOpenFga();
    await this.dropDatabases().catch((err: unknown) =>
      console.warn(`drill: could not drop its databases: ${(err as Error).message}`),
    );
    await this.deleteTopics().catch((err: unknown) =>
      console.warn(`drill: could not delete its topics: ${(err as Error).message}`),
    );
    await this.flushRedis().catch((err: unknown) =>
      console.warn(`drill: could not flush its Redis database: ${(err as Error).message}`),
    );
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A command of the project run as a child process (node --import tsx), with its output and exit code. */
export async function runScript(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 180_000,
): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  const p = startProcess("node", ["--import", "tsx", ...args], env);
  let timer: NodeJS.Timeout | undefined;
  try {
    const code = await Promise.race([
      new Promise<number | null>((resolve) => p.once("exit", (c) => resolve(c))),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${args.join(" ")} took over ${timeoutMs} ms: ${p.output()}`)),
          timeoutMs,
        );
      }),
    ]);
    return { code, output: p.output(), ms: Date.now() - started };
  } finally {
    clearTimeout(timer);
    await stopProcess(p);
  }
}
