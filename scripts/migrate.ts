// One-shot migration job: `npm run migrate`. Runs every step, stops on the first failure with its reason.
import path from "node:path";
import { loadConfigOrExit } from "../server/config";
import { loadOpaPolicies, migrateDatabase, migrateKafka, migrateOpenFga } from "../lib/jobs/migrations";
import { backfillTuples } from "../lib/jobs/fga-backfill";
import { createDb } from "../lib/server/db";
import { connectFga } from "../lib/server/openfga";

const root = path.resolve(import.meta.dirname, "..");
const { settings } = loadConfigOrExit("migrate");

async function step(name: string, fn: () => Promise<string>): Promise<void> {
  const started = Date.now();
  try {
    const detail = await fn();
    console.log(`✔ ${name}: ${detail} (${Date.now() - started} ms)`);
  } catch (err) {
    console.error(`✘ ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

await step("database", () => migrateDatabase(root, settings.database.url));
await step("openfga", async () => {
  const r = await migrateOpenFga(root, settings.openfga.apiUrl, settings.openfga.storeName);
  return `store ${r.storeId}${r.createdStore ? " (created)" : ""}, model ${r.modelId}${r.wroteModel ? " (written)" : " (unchanged)"}`;
});
await step("openfga tuples", async () => {
  const db = createDb(settings.database.url);
  try {
    const { client } = await connectFga(settings.openfga.apiUrl, settings.openfga.storeName);
    const r = await backfillTuples(db, client);
    return `${r.users} users, ${r.sessions} sessions and ${r.schedules} schedules have their tuples`;
  } finally {
    await db.$disconnect();
  }
});
if (settings.kafka.enabled || settings.bus.transport === "kafka") {
  await step("kafka topics", async () => {
    const created = await migrateKafka(settings);
    return created.length ? `created ${created.join(", ")}` : "all present";
  });
}
await step("opa policies", async () => (await loadOpaPolicies(root, settings.opa.url)).join(", "));
