// Gives memories vectors from the current embedding model (models.embedding): run it after changing
// the model, or to fill in memories saved while the provider was unreachable. --all re-embeds every
// memory, not only those made by another model or none. Safe to stop and run again.
// Run: npx tsx scripts/memories-reembed.ts [--all] [--batch=64]
import { loadConfigOrExit } from "../server/config";
import { db } from "../lib/server/db";
import { reembedMemories } from "../lib/memories/reembed";

loadConfigOrExit("memories-reembed");
const all = process.argv.includes("--all");
const batch = Number(
  /^--batch=(\d+)$/.exec(process.argv.find((a) => a.startsWith("--batch=")) ?? "")?.[1] ?? 64,
);
try {
  const result = await reembedMemories(db(), {
    all,
    batch,
    onBatch: (n) => process.stdout.write(`embedded ${n}\n`),
  });
  if (!result.model) {
    process.stderr.write(
      "memories-reembed: search by meaning is off (no usable embedding model, or memory.hybridWeight is 0): nothing to do\n",
    );
    process.exitCode = 1;
  } else process.stdout.write(`done: ${result.embedded} memories embedded with ${result.model}\n`);
} catch (err) {
  process.stderr.write(`memories-reembed: ${(err as Error).message} (run it again to resume)\n`);
  process.exitCode = 1;
} finally {
  await db().$disconnect();
}
