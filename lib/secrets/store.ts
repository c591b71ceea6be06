// The executor's secret store: environment variables SOMA_SECRET_<NAME> and, optionally, a JSON file
// of { "NAME": "value" } named by executor.secretsFile. Tool arguments refer to secrets as
// {{secret:NAME}}; they are resolved only inside the executor, just before a tool runs.
import fs from "node:fs";
import type { EnvMap } from "../config/env";

export const SECRET_REF = /\{\{secret:([A-Za-z0-9_]+)\}\}/g;
const ENV_PREFIX = "SOMA_SECRET_";

export interface SecretStore {
  get(name: string): string | undefined;
  /** Every secret value known to the store (for masking output, logs and errors). */
  values(): { name: string; value: string }[];
}

export function loadSecretStore(opts: { env: EnvMap; file?: string }): SecretStore {
  const secrets = new Map<string, string>();
  if (opts.file) {
    const data = JSON.parse(fs.readFileSync(opts.file, "utf8")) as unknown;
    if (!data || typeof data !== "object" || Array.isArray(data))
      throw new Error(`${opts.file}: expected a JSON object of NAME: value`);
    for (const [k, v] of Object.entries(data)) if (typeof v === "string" && v) secrets.set(k, v);
  }
  for (const [k, v] of Object.entries(opts.env)) {
    if (k.startsWith(ENV_PREFIX) && v) secrets.set(k.slice(ENV_PREFIX.length), v);
  }
  return {
    get: (name) => secrets.get(name),
    values: () => [...secrets].map(([name, value]) => ({ name, value })),
  };
}

export class UnknownSecretError extends Error {}

/** Replaces every {{secret:NAME}} in string leaves; returns the resolved copy and the secrets used. */
export function resolveSecretRefs<T>(
  value: T,
  store: SecretStore,
): { resolved: T; used: { name: string; value: string }[] } {
  const used = new Map<string, string>();
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      return v.replace(SECRET_REF, (_m, name: string) => {
        const secret = store.get(name);
        if (secret === undefined) throw new UnknownSecretError(`unknown secret "${name}"`);
        used.set(name, secret);
        return secret;
      });
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const resolved = walk(value) as T;
  return { resolved, used: [...used].map(([name, value]) => ({ name, value })) };
}
