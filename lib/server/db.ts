// Prisma client on the pg driver adapter (no native query engine), one per process.
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client";
import { singleton } from "../singleton";
import { getConfig } from "../config";

export type Db = PrismaClient;

export function createDb(databaseUrl: string): Db {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: 10, connectionTimeoutMillis: 5_000 });
  return new PrismaClient({ adapter });
}

export function db(): Db {
  return singleton("prisma", () => createDb(getConfig().settings.database.url));
}
