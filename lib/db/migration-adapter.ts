// The driver adapter the Prisma CLI uses for `migrate deploy|dev|diff` with its WASM schema engine
// (prisma.config.ts: engine 'js'), so migrations run with no native engine download.
// Two upstream bugs of @prisma/adapter-pg 6.19 are worked around here, and only here:
//  1. Introspection reads catalog columns of type `name` (OID 19) and `"char"` (OID 18), which the
//     adapter cannot map and fails with UnsupportedNativeDataType (prisma/prisma#27403). Our pg
//     client reports those columns as `text` (OID 25); their text form is identical.
//  2. connectToShadowDb() spreads `{ ...config, database }`, but a `connectionString` wins over
//     `database` in pg, so the "shadow" connection lands on the main database. We create the shadow
//     database ourselves, connect to it by URL, and drop it when the CLI is done (./scratch-database.ts).
import { randomUUID } from "node:crypto";
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { databaseUrl as onDatabase, dropDatabase } from "./scratch-database";

const OID_CHAR = 18;
const OID_NAME = 19;
const OID_TEXT = 25;

interface FieldLike {
  dataTypeID: number;
}

function reportCatalogTypesAsText(result: unknown): void {
  const fields = (result as { fields?: FieldLike[] } | undefined)?.fields;
  if (!fields) return;
  for (const field of fields) {
    if (field.dataTypeID === OID_NAME || field.dataTypeID === OID_CHAR) field.dataTypeID = OID_TEXT;
  }
}

/** pg client whose query results describe `name`/`"char"` columns as text (bug 1 above). */
class CatalogAsTextClient extends pg.Client {
  // pg-pool calls query(config, values, callback); the adapter itself may use the promise form.
  override query(...args: unknown[]): never {
    const last = args.at(-1);
    if (typeof last === "function") {
      const callback = last as (err: unknown, res: unknown) => void;
      args[args.length - 1] = (err: unknown, res: unknown) => {
        if (!err) reportCatalogTypesAsText(res);
        callback(err, res);
      };
      return (super.query as (...a: unknown[]) => never)(...args);
    }
    const out = (super.query as (...a: unknown[]) => unknown)(...args);
    if (out && typeof (out as Promise<unknown>).then === "function") {
      return (out as Promise<unknown>).then((res) => {
        reportCatalogTypesAsText(res);
        return res;
      }) as never;
    }
    return out as never;
  }
}

/** Drops the shadow; one that cannot be dropped is left with a warning (the diff it served is right). */
async function dropShadow(databaseUrl: string, name: string): Promise<void> {
  await dropDatabase(databaseUrl, name).catch((err: unknown) =>
    process.emitWarning(
      `the scratch database ${name} could not be dropped (${(err as Error).message}); drop it by hand`,
    ),
  );
}

/** Adapter factory for the Prisma CLI: PrismaPg plus the two fixes above. */
export function createMigrationAdapter(databaseUrl: string) {
  const poolConfig = (connectionString: string): pg.PoolConfig =>
    // allowExitOnIdle: the CLI never closes the pool, which would keep it alive for 10 s after the work.
    ({
      connectionString,
      Client: CatalogAsTextClient,
      allowExitOnIdle: true,
      idleTimeoutMillis: 200,
    });
  const main = new PrismaPg(poolConfig(databaseUrl));

  return Object.assign(main, {
    async connectToShadowDb() {
      const name = `prisma_shadow_${randomUUID().replaceAll("-", "")}`;
      const admin = new pg.Client({ connectionString: databaseUrl });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE "${name}"`);
      } finally {
        await admin.end();
      }
      const shadowAdapter = await new PrismaPg(poolConfig(onDatabase(databaseUrl, name))).connect();
      const dispose = shadowAdapter.dispose.bind(shadowAdapter);
      shadowAdapter.dispose = async () => {
        await dispose();
        await dropShadow(databaseUrl, name);
      };
      return shadowAdapter;
    },
  });
}
