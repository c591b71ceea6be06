// Embeddings of memories with the configured embedding model (models.embedding). Search by meaning
// is on when that model is usable and memory.hybridWeight is above 0; otherwise, or when the
// provider fails, memories are saved and searched by words alone (scripts/memories-reembed.ts fills
// in what was missed).
import { getConfig } from "../config";
import { modelStatus, modelTarget } from "../agent/model-client";
import { logger } from "../server/logger";

export interface Embeddings {
  model: string;
  vectors: number[][];
}

/** The embedding model's name when search by meaning is on, else null. */
export function embeddingModel(): string | null {
  const { settings } = getConfig();
  if (settings.memory.hybridWeight <= 0) return null;
  return modelStatus("embedding").configured ? settings.models.embedding.name : null;
}

const normalise = (v: number[]) => {
  const norm = Math.hypot(...v);
  return norm ? v.map((x) => x / norm) : v;
};

/** Vectors for `texts` (normalised, so a dot product is the cosine), or throws the provider's error. */
export async function embedTexts(texts: string[]): Promise<Embeddings> {
  const target = modelTarget("embedding");
  const res = await target.client.embeddings.create({ model: target.model, input: texts });
  const vectors = [...res.data].sort((a, b) => a.index - b.index).map((d) => normalise(d.embedding));
  if (vectors.length !== texts.length)
    throw new Error(`the embedding model returned ${vectors.length} vectors for ${texts.length} texts`);
  return { model: target.model, vectors };
}

/** One text's vector, or null when search by meaning is off or the provider failed (logged). */
export async function embedOrNull(text: string, purpose: string): Promise<Embeddings | null> {
  if (!embeddingModel()) return null;
  try {
    return await embedTexts([text]);
  } catch (err) {
    logger().warn({ err, purpose }, "embedding failed: the memory is handled by words only");
    return null;
  }
}
