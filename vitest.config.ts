// Two tiers: *.test.ts are pure unit tests; *.int.test.ts run against the real Postgres, Redis,
// Kafka, OpenFGA and OPA that scripts/test.sh starts (see tests/README.md).
import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["tests/**/*.test.ts"], exclude: ["tests/**/*.int.test.ts"] },
      },
      {
        extends: true,
        test: {
          name: "int",
          include: ["tests/**/*.int.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // The integration files share one database and broker; run them one file at a time.
          fileParallelism: false,
          // A file that leaves a process it started running fails (tests/setup/leaked-processes.ts).
          setupFiles: ["tests/setup/leaked-processes.ts"],
        },
      },
    ],
  },
});
