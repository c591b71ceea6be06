// Memory search latency with 10,000 memories for one user (p50/p99): by words only (the baseline,
// from the same run) and by words + meaning (hybrid ranking, the vector similarity computed in SQL
// for the candidates nearest by the vectors' signs, or by pgvector when the database has it), the
// same with every row's similarity computed exactly (and its recall against that), plus the query's
// embedding by the offline provider (in this process, over HTTP) and a plain newest-first page.
// Memories get their vectors from the offline provider's /v1/embeddings, as in production.
// Needs Postgres with the migrations applied (make dev-up, or scripts/services/up.sh + migrate).
// Run: npx tsx bench/memory-search.ts [memories=10000] [queries=200] [--keep]
import { randomUUID } from "node:crypto";
import { startStubProvider } from "../server/offline-provider/server";
import { CONCEPTS } from "../server/offline-provider/concepts";

const args = process.argv.slice(2).filter((a) => a !== "--keep");
/** --keep: leave the memories in place (to EXPLAIN the queries by hand); prints the tenant id. */
const keep = process.argv.includes("--keep");
const total = Number(args[0] ?? 10_000);
const queries = Number(args[1] ?? 200);

// Before anything reads the configuration: the embedding model is the offline provider.
const stub = await startStubProvider();
process.env.SOMA_MODELS_EMBEDDING_PROVIDER = "stub";
process.env.SOMA_MODELS_EMBEDDING_NAME = "stub-embedding";
process.env.SOMA_MODELS_EMBEDDING_BASE_URL = stub.url;
process.env.LOG_LEVEL ??= "warn";

const { getConfig } = await import("../lib/config");
const { createDb } = await import("../lib/server/db");
const { seedTenantUser } = await import("../lib/jobs/seed");
const { embedTexts } = await import("../lib/memories/embed");
const { memoryIndex } = await import("../lib/memories/memory-index");
const { listMemories } = await import("../lib/memories/service");

const { settings } = getConfig();
const db = createDb(settings.database.url);

// Deterministic texts: a few concept words (so meaning matters) and filler words from a fixed list.
const FILLER = (
  "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa " +
  "quebec romeo sierra tango uniform victor whiskey xray yankee zulu red green amber violet north south " +
  "east west morning evening monday friday river hill garden window"
).split(" ");
let seed = 42;
const rand = (n: number) => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed % n;
};
const pick = <T>(xs: readonly T[]) => xs[rand(xs.length)]!;
const text = () =>
  [
    pick(pick(CONCEPTS)),
    pick(FILLER),
    pick(FILLER),
    pick(pick(CONCEPTS)),
    pick(FILLER),
    `note${rand(5_000)}`,
  ].join(" ");

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
const fmt = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: pct(s, 50), p99: pct(s, 99), n: s.length };
};

const slug = `bench-mem-${randomUUID().slice(0, 8)}`;
const { tenantId, userId } = await seedTenantUser(db, undefined, {
  tenantSlug: slug,
  tenantName: "Memory bench",
  email: `${slug}@bench.local`,
  displayName: "Memory bench",
});
try {
  const started = performance.now();
  for (let done = 0; done < total;) {
    const batch = Array.from({ length: Math.min(500, total - done) }, text);
    const { model, vectors } = await embedTexts(batch);
    await db.memory.createMany({
      data: batch.map((content, i) => ({
        tenantId,
        userId,
        authorId: userId,
        content,
        embedding: vectors[i]!,
        embeddingModel: model,
      })),
    });
    done += batch.length;
  }
  await db.$executeRawUnsafe("ANALYZE memories");
  process.stdout.write(
    `seeded ${total} memories for one user in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );

  const index = await memoryIndex(db);
  const { hybridWeight, minSimilarity } = settings.memory;
  const qs = Array.from({ length: queries }, () => `${pick(pick(CONCEPTS))} ${pick(FILLER)}`);
  const base = { tenantId, userId, weight: hybridWeight, minSimilarity, limit: 26, offset: 0 };
  const words: number[] = [];
  const hybrid: number[] = [];
  const exact: number[] = [];
  const embed: number[] = [];
  let recalled = 0;
  let expected = 0;
  const list: number[] = [];
  let hits = 0;
  const missing: string[] = [];
  // Warm-up: plans cached, pages in memory, for both modes alike.
  for (const q of qs.slice(0, 10)) {
    const { model, vectors } = await embedTexts([q]);
    await index.search(db, { ...base, text: q, meaning: null });
    await index.search(db, { ...base, text: q, meaning: { model, vector: vectors[0]! } });
  }
  for (const q of qs) {
    let t = performance.now();
    const byWords = await index.search(db, { ...base, text: q, meaning: null });
    words.push(performance.now() - t);
    t = performance.now();
    const { model, vectors } = await embedTexts([q]);
    embed.push(performance.now() - t);
    t = performance.now();
    const both = await index.search(db, { ...base, text: q, meaning: { model, vector: vectors[0]! } });
    hybrid.push(performance.now() - t);
    if (both.length === 0) missing.push(q);
    // The same ranking with every row scored exactly: what the candidates may miss.
    t = performance.now();
    const all = await index.search(db, {
      ...base,
      text: q,
      meaning: { model, vector: vectors[0]! },
      candidates: total,
    });
    exact.push(performance.now() - t);
    const got = new Set(both.map((r) => r.id));
    expected += all.length;
    recalled += all.filter((r) => got.has(r.id)).length;
    hits += both.length >= byWords.length ? 1 : 0;
    t = performance.now();
    await listMemories(db, { tenantId, userId }, { query: "", limit: 25 });
    list.push(performance.now() - t);
  }
  const rows = [
    ["words only (baseline)", fmt(words)],
    ["words + meaning", fmt(hybrid)],
    ["words + meaning, every row exact", fmt(exact)],
    ["query embedding (offline provider)", fmt(embed)],
    ["newest first, no query", fmt(list)],
  ] as const;
  process.stdout.write(
    `\nindex: ${index.kind}; hybridWeight ${hybridWeight}; ${queries} queries; ${total} memories for the user\n`,
  );
  process.stdout.write(`${"search".padEnd(38)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)}  samples\n`);
  for (const [name, r] of rows)
    process.stdout.write(
      `${name.padEnd(38)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)}  ${r.n}\n`,
    );
  const ratio = fmt(hybrid).p50 / fmt(words).p50;
  process.stdout.write(`words + meaning / words only at p50: ${ratio.toFixed(1)}x\n`);
  process.stdout.write(
    `recall of words + meaning against every row exact (first page of 25): ${((100 * recalled) / (expected || 1)).toFixed(1)}% (${recalled}/${expected})\n`,
  );
  process.stdout.write(
    `hybrid found at least as many as words alone for ${hits}/${queries} queries; ${missing.length} found nothing\n`,
  );
} finally {
  if (keep) process.stdout.write(`kept: tenant ${tenantId}, user ${userId}\n`);
  else await db.tenant.delete({ where: { id: tenantId } });
  await db.$disconnect();
  await stub.close();
}
