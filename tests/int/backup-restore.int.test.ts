// The restore drill (docs/operations.md "Backups"): a deployment of its own (tests/helpers/drill-stack.ts)
// gets users, sessions with messages and tool calls, a share, memories, a schedule, settings and API
// tokens through the real gateway and executor; the scheduler takes a backup on backup.schedule and
// make backup another to SeaweedFS's S3 API; then everything is wiped and restored twice:
//   1. as after `make dev-clean` + `make dev-up` (all data gone, empty databases and a new OpenFGA
//      store in the way), from the directory backup, OpenFGA's database included;
//   2. as with managed services (the database and the OpenFGA store lost, Redis kept), from S3,
//      with OpenFGA's tuples written back through its API.
// Each time everything is back: rows, tuples, topic settings, settings, and the same tokens work.
// Refusals come first: a damaged backup, one from a newer schema, a database in the way.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { seedTenantUser } from "@/lib/jobs/seed";
import { createDb, type Db } from "@/lib/server/db";
import { connectFga } from "@/lib/server/openfga";
import { describeTopics } from "@/lib/backup/kafka-topics";
import { parseManifest, type Manifest } from "@/lib/backup/manifest";
import { shippedMigrations } from "@/lib/backup/schema";
import { startStubProvider, type StubServer } from "@/server/offline-provider/server";
import { client, postMessageSse, readSse, startGateway, type GatewayProcess } from "../helpers/chat";
import { startExecutor } from "../helpers/executor";
import { startScheduler } from "../helpers/scheduler";
import { ROOT, stopProcess, waitUntil } from "../helpers/services";
import { DrillStack, runScript } from "../helpers/drill-stack";

// The drill's own Redis database (make test's files use 1, development 0); it is flushed.
const REDIS_DB = Number(process.env.SOMA_DRILL_REDIS_DB ?? 15);
// SeaweedFS, started by scripts/test.sh (SOMA_TEST_S3_*): required, the S3 half is half the drill.
const S3_ENDPOINT = process.env.SOMA_TEST_S3_ENDPOINT ?? "";
const S3_CREDENTIALS = process.env.SOMA_TEST_S3_CREDENTIALS ?? "";
if (S3_ENDPOINT === "" || S3_CREDENTIALS === "")
  throw new Error(
    "backup drill: SOMA_TEST_S3_ENDPOINT and SOMA_TEST_S3_CREDENTIALS are not set (scripts/test.sh starts SeaweedFS and sets them)",
  );

const drill = new DrillStack(REDIS_DB);
let stub: StubServer;
let db: Db;
let s3Env: Record<string, string> = {};
const s3Url = `s3://somaagent-drill/run-${drill.id}`;

type User = { token: string; userId: string };
let alice: User; // admin of the deployment's own tenant
let bob: User; // member of it, shown alice's session
let keptToken = ""; // made through the API before the backup
let revokedToken = ""; // made and revoked before the backup
let sessionId = "";
let memoryId = "";
let scheduleId = "";
let rowsBefore: Record<string, number> = {};
let tuplesBefore: string[] = [];
let topicsBefore: unknown;
let scheduled: { id: string; manifest: Manifest };
const figures: string[] = [];

type Detail = {
  access: string;
  messages: { role: string; content: string }[];
  toolCalls: { tool: string; status: string }[];
};

/** Rows of every table a person's work lives in. */
async function rows(): Promise<Record<string, number>> {
  const [
    tenants,
    users,
    apiTokens,
    sessions,
    turns,
    messages,
    toolCalls,
    memories,
    schedules,
    settingsDocuments,
  ] = await Promise.all([
    db.tenant.count(),
    db.user.count(),
    db.apiToken.count(),
    db.session.count(),
    db.turn.count(),
    db.message.count(),
    db.toolCall.count(),
    db.memory.count(),
    db.schedule.count(),
    db.settingsDocument.count(),
  ]);
  return {
    tenants,
    users,
    apiTokens,
    sessions,
    turns,
    messages,
    toolCalls,
    memories,
    schedules,
    settingsDocuments,
  };
}

async function topics() {
  const admin = drill.kafkaAdmin();
  await admin.connect();
  try {
    return await describeTopics(admin, drill.prefix);
  } finally {
    await admin.disconnect();
  }
}

const backup = (args: string[], env: Record<string, string> = {}) =>
  runScript(["scripts/backup.ts", ...args], drill.env({ ...s3Env, ...env }));

/** A gateway on the drill's deployment, for as long as `fn` runs. */
async function withGateway<T>(fn: (base: string) => Promise<T>): Promise<T> {
  const gw: { gateway: GatewayProcess; base: string } = await startGateway(stub, drill.env());
  try {
    return await fn(gw.base);
  } finally {
    await stopProcess(gw.gateway);
  }
}

beforeAll(async () => {
  const vars = Object.fromEntries(
    fs
      .readFileSync(S3_CREDENTIALS, "utf8")
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  s3Env = {
    SOMA_BACKUP_S3_ENDPOINT: S3_ENDPOINT,
    SOMA_BACKUP_S3_FORCE_PATH_STYLE: "true",
    SOMA_BACKUP_S3_ACCESS_KEY_ID: vars.SOMA_BACKUP_S3_ACCESS_KEY_ID ?? "",
    SOMA_BACKUP_S3_SECRET_ACCESS_KEY: vars.SOMA_BACKUP_S3_SECRET_ACCESS_KEY ?? "",
  };
  await drill.createDatabases();
  await drill.flushRedis();
  await drill.startOpenFga();
  const migrated = await runScript(["scripts/migrate.ts"], drill.env());
  expect(migrated.code, migrated.output).toBe(0);
  db = createDb(drill.dbUrl, 2);
  stub = await startStubProvider();
}, 180_000);

/** This run's backups on S3 (the store outlives the test: make test's SeaweedFS keeps its data). */
async function removeS3Backups(): Promise<void> {
  const s3 = new S3Client({
    endpoint: S3_ENDPOINT,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: {
      accessKeyId: s3Env.SOMA_BACKUP_S3_ACCESS_KEY_ID!,
      secretAccessKey: s3Env.SOMA_BACKUP_S3_SECRET_ACCESS_KEY!,
    },
  });
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: "somaagent-drill", Prefix: `run-${drill.id}/` }),
  );
  const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key! }));
  if (keys.length)
    await s3.send(new DeleteObjectsCommand({ Bucket: "somaagent-drill", Delete: { Objects: keys } }));
}

afterAll(async () => {
  await db?.$disconnect();
  await stub?.close();
  await drill.close();
  await removeS3Backups().catch((err: unknown) =>
    console.warn(`backup drill: could not remove its backups from S3: ${(err as Error).message}`),
  );
  if (figures.length) console.log(`backup drill figures:\n  ${figures.join("\n  ")}`);
});

describe("the restore drill", () => {
  it("builds a deployment's worth of data through the gateway", async () => {
    const { client: fga } = await connectFga(drill.fgaUrl, drill.storeName);
    const seed = async (email: string, role: "admin" | "member") => {
      const r = await seedTenantUser(db, fga, {
        tenantSlug: "default",
        tenantName: "Drill",
        email,
        displayName: email,
        password: `pw-${drill.id}`,
        role,
      });
      return { token: r.token, userId: r.userId };
    };
    alice = await seed(`alice-${drill.id}@drill.local`, "admin");
    bob = await seed(`bob-${drill.id}@drill.local`, "member");

    const executor = await startExecutor("bullmq", drill.env());
    try {
      await withGateway(async (base) => {
        const api = client(base, alice.token);
        sessionId = await api.newSession("Drill session");
        const turn = await readSse(
          await postMessageSse(
            base,
            alice.token,
            sessionId,
            'compute [[tool:code_execution {"runtime":"python","code":"print(6*7)"}]]',
          ),
          (e) => e.type === "turn.finished" || e.type === "turn.failed",
        );
        expect(turn.events.at(-1)?.type).toBe("turn.finished");
        expect((await api.post(`/api/v1/sessions/${sessionId}/share`, { userId: bob.userId })).status).toBe(
          200,
        );
        const memory = await api.post("/api/v1/memories", {
          content: `The drill's locker code is 4711 (${drill.id})`,
        });
        expect(memory.status, JSON.stringify(memory.json)).toBe(201);
        memoryId = memory.json.id as string;
        const schedule = await api.post("/api/v1/schedules", {
          name: "Daily",
          prompt: "hello",
          cron: "0 9 * * 1-5",
        });
        expect(schedule.status, JSON.stringify(schedule.json)).toBe(201);
        scheduleId = schedule.json.id as string;
        expect((await api.put("/api/v1/settings", { agent: { maxSteps: 7 } })).status).toBe(200);
        keptToken = (await api.post("/api/v1/tokens", { name: "kept" })).json.token as string;
        const revoked = await api.post("/api/v1/tokens", { name: "revoked" });
        revokedToken = revoked.json.token as string;
        expect((await api.del(`/api/v1/tokens/${revoked.json.id as string}`)).status).toBe(204);
        expect((await client(base, revokedToken).get("/api/v1/sessions")).status).toBe(401);
      });
    } finally {
      await stopProcess(executor);
    }
    // A topic setting changed from the broker's default, which a restore must bring back.
    const admin = drill.kafkaAdmin();
    await admin.connect();
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: 2,
          name: `${drill.prefix}.tools`,
          configEntries: [{ name: "retention.ms", value: "3600000" }],
        },
      ],
    });
    await admin.disconnect();

    rowsBefore = await rows();
    tuplesBefore = await drill.tuples();
    topicsBefore = await topics();
    expect(rowsBefore).toMatchObject({
      users: 2,
      sessions: 1,
      memories: 1,
      schedules: 1,
      settingsDocuments: 1,
    });
    expect(rowsBefore.toolCalls).toBeGreaterThanOrEqual(1);
    expect(tuplesBefore).toContain(`user:${bob.userId} viewer session:${sessionId}`);
    expect(tuplesBefore).toContain(`user:${alice.userId} owner schedule:${scheduleId}`);
    expect(JSON.stringify(topicsBefore)).toContain('"retention.ms":"3600000"');
  }, 180_000);

  it("takes a backup on backup.schedule in the scheduler, with a manifest of what, when, versions and checksums", async () => {
    const started = Date.now();
    const scheduler = await startScheduler(stub, drill.env({ SOMA_BACKUP_SCHEDULE: "* * * * *" }));
    try {
      // The next minute's tick (at most a minute away).
      await waitUntil(
        async () => scheduler.output().includes('"backup taken"'),
        90_000,
        "the scheduled backup",
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${scheduler.output().slice(-3000)}`, { cause: err });
    } finally {
      await stopProcess(scheduler);
    }
    expect(scheduler.output()).toContain('"msg":"backups on \\"* * * * *\\" (UTC)"');
    const ids = fs
      .readdirSync(drill.backupDir)
      .filter((d) => fs.existsSync(path.join(drill.backupDir, d, "manifest.json")));
    expect(ids).toHaveLength(1);
    const id = ids[0]!;
    const manifest = parseManifest(fs.readFileSync(path.join(drill.backupDir, id, "manifest.json"), "utf8"));
    scheduled = { id, manifest };
    expect(manifest.files.map((f) => f.name).sort()).toEqual([
      "database.dump",
      "kafka-topics.json",
      "openfga-tuples.jsonl",
      "openfga.dump",
      "settings.json",
    ]);
    expect(manifest.schema.latest).toBe(shippedMigrations(ROOT).at(-1));
    expect(manifest.openfga.tuples).toBe(tuplesBefore.length);
    expect(manifest.postgres.pgDump).toMatch(/^pg_dump \(PostgreSQL\) \d+/);
    expect(manifest.postgres.database).toBe(
      `127.0.0.1:${new URL(drill.dbUrl).port}/somaagent_drill_${drill.id}`,
    );
    // Private: a dump holds every password and token hash.
    expect(fs.statSync(path.join(drill.backupDir, id)).mode & 0o077).toBe(0);
    expect(fs.statSync(path.join(drill.backupDir, id, "database.dump")).mode & 0o077).toBe(0);
    const dump = manifest.files.find((f) => f.name === "database.dump")!;
    figures.push(
      `scheduled backup ${id}: ${manifest.files.reduce((n, f) => n + f.bytes, 0)} bytes in ${manifest.durationMs} ms ` +
        `(database.dump ${dump.bytes} bytes; ${rowsBefore.messages} messages, ${tuplesBefore.length} tuples); waited ${Date.now() - started} ms for the tick`,
    );
  }, 150_000);

  it("make backup writes one to S3 (SeaweedFS), saying nothing secret", async () => {
    const r = await backup(["backup", s3Url]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(
      new RegExp(`✔ backup somaagent-\\d{8}T\\d{6}Z(-\\d+)?: .* at ${s3Url}/somaagent-`),
    );
    expect(r.output).not.toContain(s3Env.SOMA_BACKUP_S3_SECRET_ACCESS_KEY!);
    expect(r.output).not.toContain(s3Env.SOMA_BACKUP_S3_ACCESS_KEY_ID!);
    expect(r.output).not.toMatch(/:soma@/); // the database password, as it would appear in a URL
    const list = await backup(["list", s3Url]);
    expect(list.output).toMatch(/1 backups in s3:\/\/somaagent-drill\/run-/);
    figures.push(`make backup to ${s3Url}: ${r.ms} ms (process start included)`);
  }, 120_000);

  describe("refuses, changing nothing", () => {
    const copy = (name: string) => {
      const dest = path.join(drill.dir, name, scheduled.id);
      fs.cpSync(path.join(drill.backupDir, scheduled.id), dest, { recursive: true });
      return dest;
    };

    it("a backup whose file does not match its checksum", async () => {
      const damaged = copy("damaged");
      const file = path.join(damaged, "database.dump");
      const bytes = fs.readFileSync(file);
      bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff; // same size, one byte changed
      fs.writeFileSync(file, bytes);
      const r = await backup(["restore", damaged, "--yes"]);
      expect(r.code, r.output).toBe(2);
      expect(r.output).toMatch(
        /database\.dump of somaagent-.* does not match its manifest .*: the backup is damaged/,
      );
      expect(await rows()).toEqual(rowsBefore);
    });

    it("a backup from a newer schema than this code knows", async () => {
      const future = copy("future");
      const manifest = JSON.parse(fs.readFileSync(path.join(future, "manifest.json"), "utf8")) as Manifest;
      manifest.schema.migrations.push("29991231000000_from_the_future");
      fs.writeFileSync(path.join(future, "manifest.json"), JSON.stringify(manifest));
      const r = await backup(["restore", future, "--yes"]);
      expect(r.code, r.output).toBe(2);
      expect(r.output).toContain(
        "migration this code does not know (29991231000000_from_the_future): it is from a newer schema",
      );
      expect(await rows()).toEqual(rowsBefore);
    });

    it("replacing a database that has data, unless told to (YES=1)", async () => {
      const r = await backup(["restore", "latest"]);
      expect(r.code, r.output).toBe(2);
      expect(r.output).toMatch(
        /somaagent_drill_\w+ has \d+ tables: a restore replaces them\. Run again with --yes/,
      );
      expect(r.output).toContain(`restores: database 127.0.0.1:`); // it said what it would restore
      expect(await rows()).toEqual(rowsBefore);
    });
  });

  async function expectEverythingBack(label: string, extra?: (base: string) => Promise<void>) {
    expect(await rows()).toEqual(rowsBefore);
    expect(await drill.tuples()).toEqual(tuplesBefore);
    expect(await topics()).toEqual(topicsBefore);
    expect(JSON.parse(fs.readFileSync(drill.settingsFile, "utf8"))).toMatchObject({ agent: { maxSteps: 7 } });
    const restoreAudit = await db.auditLog.count({ where: { action: "backup.restore" } });
    expect(restoreAudit).toBeGreaterThanOrEqual(1);
    await withGateway(async (base) => {
      const api = client(base, alice.token);
      const detail = (await api.get(`/api/v1/sessions/${sessionId}`)).json as unknown as Detail;
      expect(detail.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
      expect(detail.messages[0]!.content).toContain("compute");
      expect(detail.toolCalls[0]).toMatchObject({ tool: "code_execution", status: "succeeded" });
      // Shared with bob (a tuple only OpenFGA holds), who may read but not write.
      const asBob = client(base, bob.token);
      const bobs = await asBob.get(`/api/v1/sessions/${sessionId}`);
      expect(bobs.status).toBe(200);
      expect(bobs.json.access).toBe("viewer");
      expect((await asBob.post(`/api/v1/sessions/${sessionId}/messages`, { content: "x" })).status).toBe(403);
      // The schedule is alice's to manage, not bob's.
      expect((await api.get(`/api/v1/schedules/${scheduleId}`)).status).toBe(200);
      expect((await asBob.get(`/api/v1/schedules/${scheduleId}`)).status).toBe(404);
      const memories = (await api.get("/api/v1/memories")).json.items as { id: string }[];
      expect(memories.map((m) => m.id)).toContain(memoryId);
      const view = (await api.get("/api/v1/settings")).json as {
        fields: Record<string, { value: unknown; source: string }>;
      };
      expect(view.fields["agent.maxSteps"]).toMatchObject({ value: 7, source: "settings" });
      // Tokens: the same secrets work; a revoked one stays revoked.
      expect((await client(base, keptToken).get("/api/v1/sessions")).status).toBe(200);
      expect((await client(base, revokedToken).get("/api/v1/sessions")).status).toBe(401);
      await extra?.(base);
    });
    // Caches come back by themselves, on first use.
    expect((await drill.redisKeys("auth:token:*")).length).toBeGreaterThan(0);
    console.log(`backup drill: ${label}: everything back`);
  }

  it("after make dev-clean + make dev-up: restores the directory backup (OpenFGA's database included)", async () => {
    await drill.wipe();
    // make dev-up: empty databases, OpenFGA migrated on its empty one, the migration job (a new store).
    await drill.createDatabases();
    await drill.startOpenFga();
    const migrated = await runScript(["scripts/migrate.ts"], drill.env());
    expect(migrated.code, migrated.output).toBe(0);
    expect(await drill.tuples()).toEqual([]);
    await db.$disconnect();

    const r = await backup(["restore", scheduled.id, "--yes"]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`restores: OpenFGA database 127.0.0.1:`);
    expect(r.output).toMatch(/replaces: .*somaagent_drill_\w+ has \d+ tables/);
    expect(r.output).toMatch(/✔ database migrations: up to date/);
    expect(r.output).not.toMatch(/:soma@/);
    // The store came back with OpenFGA's database: its tuples need not be written again.
    expect(r.output).not.toContain("✔ OpenFGA tuples");
    figures.push(
      `restore after dev-clean (directory, OpenFGA database): ${/restored \S+ in (\d+) ms/.exec(r.output)?.[1]} ms`,
    );
    await expectEverythingBack("after dev-clean");
  }, 240_000);

  it("with managed services (database and OpenFGA store lost, Redis kept): restores from S3, the tuples through OpenFGA's API", async () => {
    // A token made after the backup, used once (so Redis caches it): it must not outlive the restore.
    const lateToken = await withGateway(async (base) => {
      const late = (await client(base, alice.token).post("/api/v1/tokens", { name: "late" })).json
        .token as string;
      expect((await client(base, late).get("/api/v1/sessions")).status).toBe(200);
      return late;
    });
    expect((await drill.redisKeys("auth:token:*")).length).toBeGreaterThan(0);
    await db.$disconnect();
    await drill.dropDatabases(["app"]);
    await drill.deleteStore();
    await drill.createDatabases(["app"]);

    const list = await backup(["list", s3Url]);
    const id = /^(somaagent-\S+)/m.exec(list.output.split("\n").slice(1).join("\n"))?.[1];
    expect(id, list.output).toBeDefined();
    // No --yes: the new database is empty, nothing is in the way.
    const r = await backup(["restore", `${s3Url}/${id}`], { SOMA_BACKUP_OPENFGA_DATABASE_URL: "off" });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain("skips: OpenFGA's database (backup.openfgaDatabaseUrl is off here)");
    expect(r.output).toMatch(/✔ OpenFGA store: store \w+ \(created\)/);
    expect(r.output).toMatch(new RegExp(`✔ OpenFGA tuples: ${tuplesBefore.length} written`));
    expect(r.output).toMatch(/✔ Redis caches: [1-9]\d* cached entries dropped/);
    figures.push(
      `restore from S3 (tuples through the API): ${/restored \S+ in (\d+) ms/.exec(r.output)?.[1]} ms`,
    );
    await expectEverythingBack("managed services", async (base) => {
      expect((await client(base, lateToken).get("/api/v1/sessions")).status).toBe(401);
    });
  }, 240_000);
});
