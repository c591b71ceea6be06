// Type-aware lint (floating and misused promises matter in a server full of I/O).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules",
      ".next",
      ".services",
      "tmp",
      "lib/generated",
      "next-env.d.ts",
      "playwright-report",
      "test-results",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "error",
      // Async functions without await are fine where an interface expects a promise.
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    files: ["**/*.mjs", "**/*.js", "**/*.cjs"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Plain CommonJS scripts that run inside the sandbox with Node's own globals.
    files: ["**/*.cjs"],
    languageOptions: {
      sourceType: "commonjs",
      globals: {
        require: "readonly",
        process: "readonly",
        Buffer: "readonly",
        AbortSignal: "readonly",
        fetch: "readonly",
      },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // Bootstrap and operator scripts print to the terminal on purpose.
    files: ["scripts/**", "bench/**", "e2e/**", "tests/**", "server/offline-provider/main.ts"],
    rules: { "no-console": "off" },
  },
);
