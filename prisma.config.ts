// Prisma CLI configuration: the WASM schema engine over our pg adapter, so no engine download.
import path from "node:path";
import { defineConfig } from "prisma/config";
import { createMigrationAdapter } from "./lib/db/migration-adapter";

// The schema's `env("DATABASE_URL")` must resolve even for `generate`, which needs no database.
const databaseUrl = (process.env.DATABASE_URL ??= "postgresql://soma:soma@127.0.0.1:15432/somaagent");

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  adapter: async () => createMigrationAdapter(databaseUrl),
});
