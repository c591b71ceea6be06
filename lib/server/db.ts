// Prisma client on the pg driver adapter (no native query engine), one per process.
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client";
import { singleton } from "../singleton";
import { getConfig } from "../config";

export type Db = PrismaClient;

export function createDb(databaseUrl: string, poolSize = 10): Db {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
  });
  // A burst of turns queues for a connection instead of failing after Prisma's default 2 s.
  return new PrismaClient({ adapter, transactionOptions: { maxWait: 10_000, timeout: 15_000 } });
}

export function db(): Db {
  return singleton("prisma", () => {
    const { database } = getConfig().settings;
    return createDb(database.url, database.poolSize);
  });
}
