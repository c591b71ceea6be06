// Every route handler under app/api has a sibling schema.ts whose contract is registered in
// app/api/contracts.ts, names the route's own path and declares exactly the methods it exports; the
// OpenAPI document is generated from that registry, so a route cannot go missing from it. A contract
// the gateway answers itself (servedByGateway) has its schema.ts and no route.ts.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CONTRACTS } from "@/app/api/contracts";
import { allowedMethods, METHODS, pathMatcher } from "@/lib/api/contract";
import { openApiDocument } from "@/lib/api/openapi";

const API = path.resolve(import.meta.dirname, "../../app/api");
/** The JSON 404 for unknown /api paths has no contract of its own. */
const CATCH_ALL = "/api/{...path}";

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
  return [...found].sort();
}

const urlPathOf = (file: string) =>
  `/api/${path.relative(API, path.dirname(file)).split(path.sep).join("/")}`.replace(/\[([^\]]+)\]/g, "{$1}");

describe("the route contracts", () => {
  const files = routeFiles(API).filter((f) => urlPathOf(f) !== CATCH_ALL);

  it("cover every route under app/api, each with the methods it exports", () => {
    expect(files.length).toBeGreaterThan(30);
    const problems: string[] = [];
    for (const file of files) {
      const urlPath = urlPathOf(file);
      if (!fs.existsSync(path.join(path.dirname(file), "schema.ts")))
        problems.push(`${urlPath}: no schema.ts`);
      const contract = CONTRACTS.find((c) => c.path === urlPath);
      if (!contract) {
        problems.push(`${urlPath}: not registered in app/api/contracts.ts`);
        continue;
      }
      const declared = METHODS.filter((m) => contract.operations[m])
        .map((m) => m.toUpperCase())
        .sort();
      const exported = methodsOf(fs.readFileSync(file, "utf8"));
      if (declared.join() !== exported.join())
        problems.push(
          `${urlPath}: exports ${exported.join(",")} but its contract declares ${declared.join(",")}`,
        );
    }
    expect(problems).toEqual([]);
    // No contract without its route, unless the gateway serves it (and then Next has none).
    const served = CONTRACTS.filter((c) => c.servedByGateway);
    expect(CONTRACTS.length - served.length).toBe(files.length);
    for (const c of served) expect(files.map(urlPathOf)).not.toContain(c.path);
  });

  it("put every public route and method in the OpenAPI document", () => {
    const doc = openApiDocument(CONTRACTS, "http://gateway") as {
      paths: Record<string, Record<string, unknown>>;
    };
    for (const c of CONTRACTS) {
      if (c.internal) {
        expect(doc.paths[c.path]).toBeUndefined();
        continue;
      }
      for (const listed of c.documentedAs?.() ?? [c])
        for (const m of METHODS) expect(Boolean(doc.paths[listed.path]?.[m])).toBe(Boolean(c.operations[m]));
    }
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/schedules",
        "/api/v1/memories",
        "/api/v1/tools/code_execution/invoke",
      ]),
    );
  });

  it("give every path parameter a schema and every error status the error body", () => {
    const doc = openApiDocument(CONTRACTS, "http://gateway") as {
      paths: Record<string, Record<string, { responses?: Record<string, { content?: unknown }> }>>;
    };
    for (const [p, item] of Object.entries(doc.paths)) {
      const params = (item as { parameters?: { name: string }[] }).parameters ?? [];
      for (const [, name] of p.matchAll(/\{([^}]+)\}/g)) expect(params.map((x) => x.name)).toContain(name);
      for (const m of METHODS)
        for (const [status, r] of Object.entries(item[m]?.responses ?? {}))
          if (Number(status) >= 400)
            expect(r.content).toEqual({
              "application/json": { schema: { $ref: "#/components/schemas/Error" } },
            });
    }
  });
});

describe("the method check", () => {
  it("matches a path template and lists the methods to allow", () => {
    const match = pathMatcher("/api/v1/sessions/{id}/share/{userId}");
    expect(match("/api/v1/sessions/a/share/b")).toEqual({ id: "a", userId: "b" });
    expect(match("/api/v1/sessions/a/share")).toBeNull();
    expect(match("/api/v1/sessions/a%2/share/b")).toEqual({ id: "a%2", userId: "b" });
    const sessions = CONTRACTS.find((c) => c.path === "/api/v1/sessions")!;
    expect(allowedMethods(sessions)).toEqual(["GET", "POST", "HEAD", "OPTIONS"]);
  });
});
