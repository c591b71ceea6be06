// The one-shot migration jobs run before the gateway starts (the runtime document's migrate step):
// database schema, OpenFGA store + authorization model, Kafka topics, OPA policies. Each either
// succeeds or throws with a message naming what failed.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { OpenFgaClient } from "@openfga/sdk";
import type { WriteAuthorizationModelRequest } from "@openfga/sdk";
import { createKafka, ensureTopics } from "../server/kafka";
import { findStore } from "../server/openfga";
import type { Settings } from "../config";

const run = promisify(execFile);

export async function migrateDatabase(root: string, databaseUrl: string): Promise<string> {
  const prisma = path.join(root, "node_modules", ".bin", "prisma");
  const env = { ...process.env, DATABASE_URL: databaseUrl, CHECKPOINT_DISABLE: "1" };
  // `migrate status` answers in ~2 s; `migrate deploy` lingers ~10 s after its work (a Prisma CLI
  // quirk), so deploy runs only when something is pending.
  const status = await run(prisma, ["migrate", "status"], { cwd: root, env }).catch(
    (err: { stdout?: string }) => ({ stdout: err.stdout ?? "" }),
  );
  const found = /(\d+) migrations? found/.exec(status.stdout)?.[1] ?? "?";
  if (/Database schema is up to date/.test(status.stdout)) return `up to date (${found} migrations)`;
  try {
    const { stdout } = await run(prisma, ["migrate", "deploy"], { cwd: root, env });
    const applied =
      /The following migrations? have been applied:([\s\S]*?)\n\n/.exec(stdout)?.[1]?.match(/\d{14}_\w+/g) ??
      [];
    return `applied ${applied.length ? applied.join(", ") : "pending migrations"} (${found} in all)`;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `prisma migrate deploy failed: ${(e.stderr || e.stdout || e.message).trim().split("\n").slice(-5).join(" | ")}`,
      { cause: err },
    );
  }
}

/** Creates the store if absent and writes the committed model when it differs from the latest. */
export async function migrateOpenFga(root: string, apiUrl: string, storeName: string) {
  const model = JSON.parse(
    fs.readFileSync(path.join(root, "conf", "openfga", "model.json"), "utf8"),
  ) as WriteAuthorizationModelRequest;
  let storeId = await findStore(apiUrl, storeName);
  let createdStore = false;
  if (!storeId) {
    storeId = (await new OpenFgaClient({ apiUrl }).createStore({ name: storeName })).id;
    createdStore = true;
  }
  const client = new OpenFgaClient({ apiUrl, storeId });
  const latest = (await client.readAuthorizationModels({ pageSize: 1 })).authorization_models[0];
  const same = latest && JSON.stringify(normaliseModel(latest)) === JSON.stringify(normaliseModel(model));
  const modelId = same ? latest.id : (await client.writeAuthorizationModel(model)).authorization_model_id;
  return { storeId, modelId, createdStore, wroteModel: !same };
}

function normaliseModel(m: object): unknown {
  const { schema_version, type_definitions, conditions } = m as Record<string, unknown>;
  return sortKeys({ schema_version, type_definitions, conditions: conditions ?? {} });
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        // The server echoes defaults ("" modules, null metadata, empty lists) that the file omits.
        .filter(([, x]) => x !== null && x !== undefined && x !== "" && !(Array.isArray(x) && x.length === 0))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, sortKeys(x)]),
    );
  }
  return v;
}

export async function migrateKafka(settings: Settings) {
  const admin = createKafka(settings.kafka, `${settings.kafka.clientId}-migrate`).admin();
  await admin.connect();
  try {
    return await ensureTopics(
      admin,
      settings.kafka.topicPrefix,
      settings.kafka.topicPartitions,
      settings.kafka.topicReplicationFactor,
    );
  } finally {
    await admin.disconnect();
  }
}

/** The .rego files of conf/opa that OPA serves (tests excluded), as POSIX paths under conf/opa. */
export function opaPolicyFiles(root: string): string[] {
  const dir = path.join(root, "conf", "opa");
  return fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".rego") && !f.endsWith("_test.rego"))
    .map((f) => f.split(path.sep).join("/"))
    .sort();
}

/**
 * Where OPA keeps a policy file already: OPA started with conf/opa (scripts/services/opa.sh, compose)
 * names each module after its path there ("…/conf/opa/somaagent/tools.rego", "policies/somaagent/
 * tools.rego"); an earlier push named it "somaagent/tools". A second module of the same package under
 * a new id would clash with it (two default rules), so the push replaces the one OPA has.
 */
export function opaModuleId(file: string, loadedIds: string[]): string {
  const pushed = file.replace(/\.rego$/, "");
  return loadedIds.find((id) => id === pushed || id === file || id.endsWith(`/${file}`)) ?? pushed;
}

/**
 * Pushes every policy file to OPA over its REST API, in place of the module OPA already has for it
 * (idempotent: an unchanged file is not sent), then asks OPA's own readiness
 * (conf/opa/system/health.rego). Returns each file with what was done.
 */
export async function loadOpaPolicies(root: string, opaUrl: string): Promise<string[]> {
  const listed = await fetch(`${opaUrl}/v1/policies`, { signal: AbortSignal.timeout(5_000) });
  if (!listed.ok) throw new Error(`OPA did not list its policies: ${listed.status} ${await listed.text()}`);
  const loaded = ((await listed.json()) as { result?: { id: string; raw: string }[] }).result ?? [];
  const report: string[] = [];
  for (const file of opaPolicyFiles(root)) {
    const text = fs.readFileSync(path.join(root, "conf", "opa", file), "utf8");
    const id = opaModuleId(
      file,
      loaded.map((p) => p.id),
    );
    if (loaded.some((p) => p.id === id && p.raw === text)) {
      report.push(`${file} (unchanged)`);
      continue;
    }
    const res = await fetch(`${opaUrl}/v1/policies/${id.split("/").map(encodeURIComponent).join("/")}`, {
      method: "PUT",
      headers: { "content-type": "text/plain" },
      body: text,
      signal: AbortSignal.timeout(5_000),
    });
    if (!res.ok) throw new Error(`OPA refused policy ${file}: ${res.status} ${await res.text()}`);
    report.push(`${file} (written)`);
  }
  const ready = await fetch(`${opaUrl}/health/ready`, { signal: AbortSignal.timeout(5_000) });
  if (!ready.ok)
    throw new Error(`OPA policies loaded but OPA is not ready: ${ready.status} ${await ready.text()}`);
  return report;
}
