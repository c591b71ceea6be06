// .env.example names every setting's environment variable, so operators can find each one.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "@/lib/config";

describe(".env.example", () => {
  it("documents a variable for every setting", () => {
    const root = path.resolve(import.meta.dirname, "../..");
    const text = fs.readFileSync(path.join(root, ".env.example"), "utf8");
    const { envNames } = loadConfig({ root, env: {} });
    const missing = Object.entries(envNames)
      .filter(([, names]) => !names.some((n) => new RegExp(`\\b${n}=`).test(text)))
      .map(([key, names]) => `${key} (${names.join(" or ")})`);
    expect(missing).toEqual([]);
  });
});
