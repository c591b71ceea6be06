// Every route handler under app/ is in the OpenAPI document, with each method it exports: a route
// cannot be added and go missing from the API's description.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openApiDocument } from "@/lib/api/openapi";

const APP = path.resolve(import.meta.dirname, "../../app");
/** Not part of the public API: the JSON 404 for unknown /api paths, and the executors' signed callback. */
const NOT_PUBLIC = new Set(["/api/{...path}", "/api/internal/tool-results"]);

function routeFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return routeFiles(full);
    return e.name === "route.ts" ? [full] : [];
  });
}

/** The HTTP methods a route file exports (`export const GET`, `export async function POST`, `export { x as PUT }`). */
function methodsOf(source: string): string[] {
  const found = new Set<string>();
  for (const m of source.matchAll(/export (?:const|async function|function) (GET|POST|PUT|PATCH|DELETE)\b/g))
    found.add(m[1]!);
  for (const m of source.matchAll(/\bas (GET|POST|PUT|PATCH|DELETE)\b/g)) found.add(m[1]!);
  return [...found];
}

describe("the OpenAPI document", () => {
  it("describes every route and method under app/", () => {
    const doc = openApiDocument("http://gateway") as { paths: Record<string, Record<string, unknown>> };
    const missing: string[] = [];
    let seen = 0;
    for (const file of routeFiles(APP)) {
      const urlPath = `/${path.relative(APP, path.dirname(file)).split(path.sep).join("/")}`.replace(
        /\[([^\]]+)\]/g,
        "{$1}",
      );
      if (NOT_PUBLIC.has(urlPath)) continue;
      for (const method of methodsOf(fs.readFileSync(file, "utf8"))) {
        seen++;
        if (!doc.paths[urlPath]?.[method.toLowerCase()]) missing.push(`${method} ${urlPath}`);
      }
    }
    expect(seen).toBeGreaterThan(30);
    expect(missing).toEqual([]);
  });
});
