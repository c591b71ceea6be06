// Re-embedding: gives every memory a vector from the current embedding model (after the model
// changed, or for memories saved while the provider was down). Batches by id order, so a run that
// stops half-way resumes where it was on the next run.
import type { Db } from "../server/db";
import { embeddingModel, embedTexts } from "./embed";

export interface ReembedResult {
  model: string | null;
  embedded: number;
  left: number;
}

export async function reembedMemories(
  db: Db,
  opts: { batch?: number; all?: boolean; onBatch?: (done: number) => void } = {},
): Promise<ReembedResult> {
  const model = embeddingModel();
  if (!model) return { model: null, embedded: 0, left: await db.memory.count() };
  const batch = opts.batch ?? 64;
  const stale = opts.all ? {} : { OR: [{ embeddingModel: null }, { embeddingModel: { not: model } }] };
  let embedded = 0;
  let after: string | undefined;
  for (;;) {
    const rows = await db.memory.findMany({
      where: { ...stale, ...(after ? { id: { gt: after } } : {}) },
      orderBy: { id: "asc" },
      take: batch,
      select: { id: true, content: true },
    });
    if (rows.length === 0) break;
    const { model: used, vectors } = await embedTexts(rows.map((r) => r.content));
    await db.$transaction(
      rows.map((r, i) =>
        db.memory.update({
          where: { id: r.id },
          data: { embedding: vectors[i]!, embeddingModel: used },
          select: { id: true },
        }),
      ),
    );
    embedded += rows.length;
    after = rows.at(-1)!.id;
    opts.onBatch?.(embedded);
  }
  return { model, embedded, left: 0 };
}
