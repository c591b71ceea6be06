// Policy decisions in the deciding process (the gateway's admission, the executor's tool decisions):
// OPA's server stays the source of the policies (the migration job and operators load them there),
// and each gateway and executor mirrors them: it reads what the server serves (GET /v1/policies)
// every POLL_MS, compiles that to WebAssembly with `opa build -t wasm` and evaluates it with
// @open-policy-agent/opa-wasm. An answer comes from the mirror only while the mirror is of exactly
// what the server served at its last look, and that look is at most FRESH_MS old; otherwise (a change
// not yet compiled, the server unreachable, no opa executable, a policy that does not compile) the
// caller asks the server, as before. So a policy change holds from the next look on: within POLL_MS
// plus one request.
import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { loadPolicy, type LoadedPolicy } from "@open-policy-agent/opa-wasm";
import { logger } from "../server/logger";
import { singleton } from "../singleton";
import { goSprintf } from "./go-sprintf";

export const POLL_MS = 250;
export const FRESH_MS = 1_000;
/** The decisions compiled in: the gateway's admission, the executor's tool decisions. */
export const ENTRYPOINTS = ["somaagent/requests/decision", "somaagent/tools/decision"] as const;

const run = promisify(execFile);

interface Served {
  hash: string;
  policies: { id: string; raw: string }[];
  /** performance.now() of the look. */
  at: number;
}

/** The ids and sources the server serves, and their hash. */
async function fetchServed(baseUrl: string): Promise<Served> {
  const res = await fetch(`${baseUrl}/v1/policies`, { signal: AbortSignal.timeout(2_000) });
  if (!res.ok) throw new Error(`OPA answered ${res.status} for /v1/policies`);
  const body = (await res.json()) as { result?: { id: string; raw: string }[] };
  const policies = (body.result ?? [])
    .map(({ id, raw }) => ({ id, raw }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const hash = createHash("sha256");
  for (const p of policies) hash.update(`${p.id}\u0000${p.raw}\u0000`);
  return { hash: hash.digest("hex"), policies, at: performance.now() };
}

/** The file `name` from a .tar.gz (opa build's bundle). */
function fromTarGz(archive: Buffer, name: string): Buffer | undefined {
  const tar = gunzipSync(archive);
  for (let off = 0; off + 512 <= tar.length;) {
    const header = tar.subarray(off, off + 512);
    const entry = header.toString("utf8", 0, 100).replace(/\0.*$/s, "");
    if (!entry) return undefined;
    const size = parseInt(header.toString("utf8", 124, 136).replace(/\0.*$/s, "").trim() || "0", 8);
    if (entry.replace(/^\.?\//, "") === name) return tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

/** Compiles the policies to WebAssembly with `opa build -t wasm` and loads the module. */
export async function compilePolicies(
  opaBinary: string,
  policies: { id: string; raw: string }[],
): Promise<LoadedPolicy> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "somaagent-opa-"));
  try {
    await fs.mkdir(path.join(dir, "src"));
    // The ids are the server's names; files are named by position (an id may hold any character).
    await Promise.all(policies.map((p, i) => fs.writeFile(path.join(dir, "src", `policy-${i}.rego`), p.raw)));
    const out = path.join(dir, "bundle.tar.gz");
    await run(
      opaBinary,
      ["build", "-t", "wasm", ...ENTRYPOINTS.flatMap((e) => ["-e", e]), "-o", out, path.join(dir, "src")],
      { timeout: 30_000 },
    );
    const wasm = fromTarGz(await fs.readFile(out), "policy.wasm");
    if (!wasm) throw new Error("opa build wrote no policy.wasm");
    return await loadPolicy(wasm);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

// Go's sprintf verbs (%q, %v…) where the SDK's builtin (sprintf-js) has its own: the reasons read
// as the server writes them. The SDK looks its own builtins up first, so that table is the one to set
// (one module instance: the package is external to Next's bundles, next.config.mjs).
const fromRoot = createRequire(path.join(process.cwd(), "package.json"));
const sdkBuiltins = createRequire(fromRoot.resolve("@open-policy-agent/opa-wasm"))(
  "./builtins/index.js",
) as Record<string, unknown>;
sdkBuiltins.sprintf = goSprintf;

export class PolicyMirror {
  private served: Served | undefined;
  private compiled: { hash: string; policy: LoadedPolicy } | undefined;
  private compiling: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private looks = new Set<() => void>();
  private log = logger().child({ component: "policy-mirror" });

  constructor(
    private readonly baseUrl: string,
    private readonly opaBinary: string,
  ) {}

  start(): void {
    if (this.timer || !this.opaBinary) return;
    const tick = async () => {
      try {
        this.served = await fetchServed(this.baseUrl);
        if (this.served.policies.length && this.compiled?.hash !== this.served.hash)
          void this.compile(this.served);
      } catch (err) {
        this.log.debug({ err: (err as Error).message }, "OPA's policies could not be read");
      }
      for (const fn of this.looks) fn();
      this.looks.clear();
      if (this.timer) this.timer = setTimeout(() => void tick(), POLL_MS).unref();
    };
    this.timer = setTimeout(() => void tick(), 0).unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Resolves after the next look at the server (a compile it starts runs on after it). */
  nextLook(): Promise<void> {
    return new Promise((resolve) => this.looks.add(resolve));
  }

  /** Whether answers come from the mirror right now. */
  get current(): boolean {
    const s = this.served;
    return !!s && !!this.compiled && this.compiled.hash === s.hash && performance.now() - s.at <= FRESH_MS;
  }

  private async compile(served: Served): Promise<void> {
    if (this.compiling === served.hash) return;
    this.compiling = served.hash;
    try {
      const policy = await compilePolicies(this.opaBinary, served.policies);
      if (this.compiling !== served.hash) return; // a newer version is on its way
      this.compiled = { hash: served.hash, policy };
      this.log.info({ policies: served.policies.map((p) => p.id) }, "OPA policies compiled in process");
    } catch (err) {
      this.log.warn(
        { err: (err as Error).message.slice(0, 2_000) },
        "OPA policies could not be compiled to WebAssembly; decisions ask the server",
      );
    } finally {
      if (this.compiling === served.hash) this.compiling = undefined;
    }
  }

  /** The decision at `path` from the mirror, or undefined: ask the server. */
  decide<T>(decisionPath: string, input: unknown): T | undefined {
    this.start();
    if (!this.current || !(ENTRYPOINTS as readonly string[]).includes(decisionPath)) return undefined;
    const rs = this.compiled!.policy.evaluate(input, decisionPath) as { result?: T }[];
    return rs[0]?.result;
  }
}

export function policyMirror(baseUrl: string, opaBinary: string): PolicyMirror {
  return singleton(`policy-mirror:${baseUrl}:${opaBinary}`, () => new PolicyMirror(baseUrl, opaBinary));
}
