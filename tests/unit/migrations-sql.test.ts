// Prisma's migration runner cuts a migration.sql into statements at every semicolon, even one inside
// a comment or a $$ body, and the pieces then fail (or worse, run) on their own. Three of us were
// bitten by it in one day: this check names the file and line instead.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const dir = path.resolve(import.meta.dirname, "../../prisma/migrations");

/** Semicolons Prisma would cut at in the wrong place: inside `--` or block comments and $$ bodies. */
function misplacedSemicolons(sql: string): number[] {
  const lines: number[] = [];
  const lineAt = (i: number) => sql.slice(0, i).split("\n").length;
  const pattern = /--[^\n]*|\/\*[\s\S]*?\*\/|\$([A-Za-z_]*)\$[\s\S]*?\$\1\$|'(?:[^']|'')*'/g;
  for (const m of sql.matchAll(pattern)) {
    if (m[0].startsWith("'")) continue; // a string literal: Prisma keeps those whole
    const at = m[0].indexOf(";");
    if (at >= 0) lines.push(lineAt(m.index + at));
  }
  return lines;
}

describe("prisma/migrations", () => {
  it("finds a semicolon in a comment or a $$ body, and none in a string", () => {
    expect(misplacedSemicolons("SELECT 1; -- one; two\nSELECT 2;")).toEqual([1]);
    expect(misplacedSemicolons("CREATE FUNCTION f() AS $$ SELECT 1; $$ LANGUAGE sql;")).toEqual([1]);
    expect(misplacedSemicolons("SELECT 1;\n/* a;\n b */ SELECT 'x;y';")).toEqual([2]);
    expect(misplacedSemicolons("CREATE FUNCTION f() AS $body$\nSELECT 1\n$body$ LANGUAGE sql;")).toEqual([]);
  });

  it("has no semicolon that Prisma would cut a statement at by mistake", () => {
    const files = fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => path.join(dir, d.name, "migration.sql"))
      .filter((f) => fs.existsSync(f));
    expect(files.length).toBeGreaterThan(5);
    const found = files.flatMap((f) =>
      misplacedSemicolons(fs.readFileSync(f, "utf8")).map((line) => `${path.relative(dir, f)}:${line}`),
    );
    expect(found).toEqual([]);
  });
});
