// The executor's secrets, per tenant. A tenant declares its secrets in conf/tenants.yaml
// (`secrets: {NAME: {env: VAR | file: PATH, tools: [http_request]}}`); the executor's secrets file
// (executor.secretsFile) may hold values too, keyed the same way: {"<tenant>": {"NAME": "value"}}.
// Tool arguments refer to secrets as {{secret:NAME}}; they are resolved only inside the executor,
// only for the calling tenant, only in the tools a secret allows (http_request unless it says
// otherwise), and never in code_execution, whose code the model or a user writes. See docs/sandbox.md.
import fs from "node:fs";
import type { EnvMap } from "../config/env";
import type { TenantConfig } from "../config/files";

export const SECRET_REF = /\{\{secret:([A-Za-z0-9_]+)\}\}/g;
/** The tools a secret reaches when its declaration does not say. */
export const DEFAULT_SECRET_TOOLS = ["http_request"];
/** Tools that never receive a secret, whatever a declaration says. */
export const NEVER_SECRET_TOOLS = new Set(["code_execution"]);

export interface TenantSecret {
  name: string;
  value: string;
  tools: string[];
}

export interface SecretStore {
  /** The secrets of one tenant (by slug); empty for a tenant with none. */
  forTenant(slug: string): Map<string, TenantSecret>;
  /** Every secret of every tenant, for masking output and logs. */
  all(): TenantSecret[];
}

export function loadSecretStore(opts: {
  env: EnvMap;
  tenants: Record<string, TenantConfig>;
  file?: string;
}): SecretStore {
  const byTenant = new Map<string, Map<string, TenantSecret>>();
  const put = (slug: string, name: string, value: string, tools: string[]) => {
    if (!byTenant.has(slug)) byTenant.set(slug, new Map());
    byTenant.get(slug)!.set(name, { name, value, tools });
  };
  if (opts.file) {
    const data = JSON.parse(fs.readFileSync(opts.file, "utf8")) as unknown;
    const isObject = (v: unknown): v is Record<string, unknown> =>
      Boolean(v) && typeof v === "object" && !Array.isArray(v);
    if (!isObject(data) || !Object.values(data).every(isObject))
      throw new Error(`${opts.file}: expected {"<tenant>": {"NAME": "value"}}`);
    for (const [slug, secrets] of Object.entries(data))
      for (const [name, value] of Object.entries(secrets as Record<string, unknown>))
        if (typeof value === "string" && value) put(slug, name, value, DEFAULT_SECRET_TOOLS);
  }
  for (const [slug, tenant] of Object.entries(opts.tenants)) {
    for (const [name, decl] of Object.entries(tenant.secrets)) {
      const value = decl.env
        ? opts.env[decl.env]
        : decl.file
          ? fs.readFileSync(decl.file, "utf8").trim()
          : byTenant.get(slug)?.get(name)?.value;
      if (value) put(slug, name, value, decl.tools);
    }
  }
  return {
    forTenant: (slug) => byTenant.get(slug) ?? new Map(),
    all: () => [...byTenant.values()].flatMap((m) => [...m.values()]),
  };
}

/** A reference the call may not resolve; `rule` is safe to show, the name only goes to the audit log. */
export class SecretDenied extends Error {
  constructor(
    readonly secretName: string,
    readonly rule: "code" | "unavailable",
  ) {
    super(
      rule === "code"
        ? "secrets are never given to code_execution: code the model or a user writes could reveal them (http_request can send one in a header)"
        : "secret not available",
    );
  }
}

/** Replaces every {{secret:NAME}} in string leaves for `tool`; returns the resolved copy. */
export function resolveSecretRefs<T>(value: T, secrets: Map<string, TenantSecret>, tool: string): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      return v.replace(SECRET_REF, (_m, name: string) => {
        if (NEVER_SECRET_TOOLS.has(tool)) throw new SecretDenied(name, "code");
        const secret = secrets.get(name);
        if (!secret || !secret.tools.includes(tool)) throw new SecretDenied(name, "unavailable");
        return secret.value;
      });
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}
