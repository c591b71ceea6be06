// The Node.js pin lives in .nvmrc; package.json's engines, @types/node and the Docker image follow
// it, and the tests themselves run on it (scripts/node-runtime.sh fetches it when the machine's is older).
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const read = (f: string) => fs.readFileSync(path.join(root, f), "utf8");
const pinned = read(".nvmrc").trim().replace(/^v/, "");
const major = pinned.split(".")[0]!;
const pkg = JSON.parse(read("package.json")) as {
  engines: { node: string };
  packageManager: string;
  devDependencies: Record<string, string>;
};

describe("the Node.js pin", () => {
  it("is an exact version of an even (LTS) major", () => {
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(Number(major) % 2).toBe(0);
  });

  it("is what engines, @types/node, the npm pin and the Docker image say", () => {
    expect(pkg.engines.node).toBe(`>=${major}`);
    expect(pkg.devDependencies["@types/node"]?.split(".")[0]).toBe(major);
    expect(pkg.packageManager).toMatch(/^npm@\d+\.\d+\.\d+$/);
    const images = [...read("Dockerfile").matchAll(/^FROM node:(\S+)/gm)].map((m) => m[1]);
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(image).toBe(`${pinned}-bookworm-slim`);
  });

  it("is the Node these tests run on", () => {
    console.log(`tests run on Node.js ${process.version} (${process.execPath})`);
    expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(Number(major));
  });
});
