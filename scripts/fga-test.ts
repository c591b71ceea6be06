// Runs an OpenFGA store-file test (`conf/openfga/model.fga.yaml`, the format of `fga model test`)
// against the real OpenFGA server: a throwaway store per run, the model, the global tuples, then for
// each test its own tuples, check and list_objects assertions. Exits 1 on any failed assertion.
// Usage: tsx scripts/fga-test.ts [file]   (OPENFGA_API_URL, default http://127.0.0.1:18080)
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { z } from "zod";
import { OpenFgaClient, type WriteAuthorizationModelRequest } from "@openfga/sdk";

const tuple = z.object({ user: z.string(), relation: z.string(), object: z.string() }).strict();
const storeFile = z
  .object({
    name: z.string(),
    model_file: z.string(),
    tuples: z.array(tuple).default([]),
    tests: z.array(
      z
        .object({
          name: z.string(),
          tuples: z.array(tuple).default([]),
          check: z
            .array(
              z
                .object({
                  user: z.string(),
                  object: z.string(),
                  assertions: z.record(z.string(), z.boolean()),
                })
                .strict(),
            )
            .default([]),
          list_objects: z
            .array(
              z
                .object({
                  user: z.string(),
                  type: z.string(),
                  assertions: z.record(z.string(), z.array(z.string())),
                })
                .strict(),
            )
            .default([]),
        })
        .strict(),
    ),
  })
  .strict();

async function main(): Promise<number> {
  const file = path.resolve(process.argv[2] ?? "conf/openfga/model.fga.yaml");
  const spec = storeFile.parse(YAML.parse(fs.readFileSync(file, "utf8")));
  const model = JSON.parse(
    fs.readFileSync(path.resolve(path.dirname(file), spec.model_file), "utf8"),
  ) as WriteAuthorizationModelRequest;
  const apiUrl = process.env.OPENFGA_API_URL ?? "http://127.0.0.1:18080";
  const admin = new OpenFgaClient({ apiUrl });
  const store = await admin.createStore({ name: `model-test-${Date.now()}` });
  const client = new OpenFgaClient({ apiUrl, storeId: store.id });
  let failed = 0;
  let passed = 0;
  try {
    const { authorization_model_id: modelId } = await client.writeAuthorizationModel(model);
    const opts = { authorizationModelId: modelId };
    if (spec.tuples.length) await client.write({ writes: spec.tuples }, opts);
    for (const test of spec.tests) {
      const problems: string[] = [];
      if (test.tuples.length) await client.write({ writes: test.tuples }, opts);
      for (const c of test.check)
        for (const [relation, want] of Object.entries(c.assertions)) {
          const got =
            (await client.check({ user: c.user, relation, object: c.object }, opts)).allowed === true;
          if (got !== want)
            problems.push(`check ${c.user} ${relation} ${c.object}: want ${want}, got ${got}`);
        }
      for (const l of test.list_objects)
        for (const [relation, want] of Object.entries(l.assertions)) {
          const got = (
            await client.listObjects({ user: l.user, relation, type: l.type }, opts)
          ).objects.sort();
          if (JSON.stringify(got) !== JSON.stringify([...want].sort()))
            problems.push(
              `list_objects ${l.user} ${relation} ${l.type}: want [${want.join(", ")}], got [${got.join(", ")}]`,
            );
        }
      // A test's own tuples do not leak into the next test.
      if (test.tuples.length) await client.write({ deletes: test.tuples }, opts);
      if (problems.length) {
        failed++;
        console.log(`FAIL ${test.name}\n${problems.map((p) => `  ${p}`).join("\n")}`);
      } else {
        passed++;
        console.log(`PASS ${test.name}`);
      }
    }
  } finally {
    await client.deleteStore().catch(() => undefined);
  }
  console.log(`${spec.name}: ${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
