// The OpenFGA store's tuples, read and written through its API: the part of authorization that
// Postgres cannot rebuild (sessions shared with a viewer live only here). Taken with every backup,
// so a managed OpenFGA whose database we cannot dump is covered too.
import fs from "node:fs";
import readline from "node:readline";
import { ClientWriteRequestOnDuplicateWrites, OpenFgaClient } from "@openfga/sdk";
import { z } from "zod";

const TUPLES_PER_WRITE = 100; // OpenFGA's default limit per write request

const tupleSchema = z.object({
  user: z.string().min(1),
  relation: z.string().min(1),
  object: z.string().min(1),
});
export type Tuple = z.infer<typeof tupleSchema>;

/** Writes every tuple of the store to `file`, one JSON object a line; returns how many. */
export async function exportTuples(apiUrl: string, storeId: string, file: string): Promise<number> {
  const client = new OpenFgaClient({ apiUrl, storeId });
  const out = fs.createWriteStream(file, { mode: 0o600 });
  let count = 0;
  try {
    let token: string | undefined;
    do {
      const page = await client.read({}, { pageSize: 100, ...(token ? { continuationToken: token } : {}) });
      for (const t of page.tuples) {
        const { user, relation, object } = t.key;
        if (!out.write(`${JSON.stringify({ user, relation, object })}\n`))
          await new Promise<void>((r) => out.once("drain", () => r()));
        count++;
      }
      token = page.continuation_token || undefined;
    } while (token);
  } finally {
    await new Promise<void>((resolve, reject) =>
      out.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
  }
  return count;
}

/** Writes the file's tuples into the store; ones it has already are left alone. Returns how many were read. */
export async function importTuples(client: OpenFgaClient, file: string): Promise<number> {
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  let batch: Tuple[] = [];
  let count = 0;
  const flush = async () => {
    if (!batch.length) return;
    await client.write(
      { writes: batch },
      { conflict: { onDuplicateWrites: ClientWriteRequestOnDuplicateWrites.Ignore } },
    );
    batch = [];
  };
  let n = 0;
  for await (const line of lines) {
    n++;
    if (!line.trim()) continue;
    const parsed = tupleSchema.safeParse(JSON.parse(line));
    if (!parsed.success) throw new Error(`${file} line ${n} is not a tuple`);
    batch.push(parsed.data);
    count++;
    if (batch.length >= TUPLES_PER_WRITE) await flush();
  }
  await flush();
  return count;
}
