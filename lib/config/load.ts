// Merges the five configuration sources, highest priority first:
//   1 env   environment variables (SOMA_<KEY> or a conventional alias such as DATABASE_URL)
//   2 settings  tmp/settings.json, written by the settings API
//   3 tenant    conf/tenants.yaml, the entry of the selected tenant
//   4 providers conf/model_providers.yaml, for the provider each model role uses
//   5 default   code defaults (schema.ts)
// and validates the result, remembering for every key which source won. A model role that nobody
// configured and that has no key falls back to the offline provider when one runs (source "offline").
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { z } from "zod";
import { ConfigError, type ConfigProblem } from "./errors";
import { processEnv, readSecret, type EnvMap } from "./env";
import { providersFileSchema, tenantsFileSchema, type ProviderConfig, type TenantConfig } from "./files";
import { envNameFor, flatten, isPlainObject, unflatten, type FlatMap } from "./paths";
import { PROVIDER_GROUPS } from "./provider-groups";
import { decideOfflineFallback, OFFLINE_PROVIDER } from "./offline-fallback";
import { groupsWithStoredKey } from "./provider-keys-file";
import { codeDefaults, envAliases, settingsSchema, type Settings } from "./schema";

import type { SourceName } from "./sources";
export { SOURCES, type SourceName } from "./sources";

export interface Provenance {
  source: SourceName;
  /** Where exactly: the variable name or the file and key. */
  origin: string;
}

export interface LoadedConfig {
  settings: Settings;
  provenance: Record<string, Provenance>;
  tenants: Record<string, TenantConfig>;
  providers: Record<string, ProviderConfig>;
  files: { settings: string; tenants: string; providers: string };
  /** Absolute path of the settings file (tmp/settings.json unless SOMA_SETTINGS_FILE says otherwise). */
  settingsPath: string;
  /** Env var names that lock a key (set in the environment, so the settings API cannot change it). */
  envNames: Record<string, string[]>;
}

export interface LoadOptions {
  env?: EnvMap;
  /** Project root; conf/ and tmp/ are resolved against it. */
  root?: string;
  confDir?: string;
  settingsFile?: string;
}

interface SourceValue {
  value: unknown;
  origin: string;
}
type SourceMap = Map<string, SourceValue>;

const DEFAULT_LEAVES: FlatMap = flatten(codeDefaults);
const MODEL_ROLES = ["chat", "utility", "embedding"] as const;

function rel(root: string, file: string): string {
  const r = path.relative(root, file);
  return r.startsWith("..") ? file : r;
}

/** Converts an environment string to the type of the key's default. */
function parseEnvValue(
  raw: string,
  example: unknown,
): { ok: true; value: unknown } | { ok: false; reason: string } {
  if (typeof example === "number") {
    const n = Number(raw.trim());
    return raw.trim() !== "" && Number.isFinite(n)
      ? { ok: true, value: n }
      : { ok: false, reason: `"${raw}" is not a number` };
  }
  if (typeof example === "boolean") {
    const v = raw.trim().toLowerCase();
    if (["1", "true", "yes", "on"].includes(v)) return { ok: true, value: true };
    if (["0", "false", "no", "off"].includes(v)) return { ok: true, value: false };
    return { ok: false, reason: `"${raw}" is not a boolean (use true or false)` };
  }
  if (Array.isArray(example)) {
    return {
      ok: true,
      value: raw
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    };
  }
  return { ok: true, value: raw };
}

function envNamesFor(key: string): string[] {
  const names = [envNameFor(key)];
  for (const [alias, target] of Object.entries(envAliases)) if (target === key) names.push(alias);
  return names;
}

function readEnvSource(env: EnvMap, problems: ConfigProblem[]): SourceMap {
  const out: SourceMap = new Map();
  for (const [key, example] of DEFAULT_LEAVES) {
    // The derived SOMA_* name is the more specific one, so it wins over an alias.
    const name = envNamesFor(key).find((n) => env[n] !== undefined && env[n] !== "");
    if (!name) continue;
    const parsed = parseEnvValue(env[name]!, example);
    if (!parsed.ok) problems.push({ origin: `environment variable ${name}`, key, reason: parsed.reason });
    else out.set(key, { value: parsed.value, origin: `environment variable ${name}` });
  }
  return out;
}

function readSettingsFile(file: string, shown: string, problems: ConfigProblem[]): SourceMap {
  const out: SourceMap = new Map();
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return out;
    problems.push({ origin: shown, reason: `cannot be read: ${(e as Error).message}` });
    return out;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    problems.push({ origin: shown, reason: `is not valid JSON: ${(e as Error).message}` });
    return out;
  }
  if (!isPlainObject(data)) {
    problems.push({ origin: shown, reason: "must hold a JSON object" });
    return out;
  }
  for (const [key, value] of flatten(data)) {
    if (!DEFAULT_LEAVES.has(key)) problems.push({ origin: shown, key, reason: "unknown setting" });
    else out.set(key, { value, origin: shown });
  }
  return out;
}

/** A missing file is no source (undefined); an unreadable or malformed one is a problem. */
function readYaml(file: string, shown: string, problems: ConfigProblem[]): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    problems.push({ origin: shown, reason: `cannot be read: ${(e as Error).message}` });
    return undefined;
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    for (const err of doc.errors) {
      const pos = err.linePos?.[0];
      const where = pos ? `line ${pos.line}, column ${pos.col}` : undefined;
      problems.push({ origin: shown, ...(where ? { key: where } : {}), reason: err.message.split("\n")[0]! });
    }
    return undefined;
  }
  return doc.toJS() as unknown;
}

/**
 * ${NAME} and ${NAME:-default} in the providers file's strings take the environment's value, so one
 * file serves a gateway on the host (127.0.0.1:18000) and one in a compose network (speaches:8000).
 */
export function interpolateEnv(value: unknown, env: EnvMap): unknown {
  if (typeof value === "string")
    return value.replace(/\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) => {
      const v = env[name];
      return v !== undefined && v !== "" ? v : (fallback ?? "");
    });
  if (Array.isArray(value)) return value.map((v) => interpolateEnv(v, env));
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateEnv(v, env)]));
  return value;
}

function zodProblems(error: z.ZodError, origin: string, prefix: (string | number)[] = []): ConfigProblem[] {
  return error.issues.map((issue) => {
    const keyPath = [...prefix, ...issue.path.map(String)];
    // Unknown keys are reported on the object; name the key itself.
    if (issue.code === "unrecognized_keys") {
      return {
        origin,
        key: [...keyPath, ...issue.keys].join(".") || undefined,
        reason: "unknown key",
      };
    }
    return { origin, ...(keyPath.length ? { key: keyPath.join(".") } : {}), reason: issue.message };
  });
}

function pick(key: string, layers: SourceMap[]): SourceValue | undefined {
  for (const layer of layers) {
    const v = layer.get(key);
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * The groups the offline provider can serve: the model roles, speech-to-text and text-to-speech (not
 * realtime speech, which it does not offer yet).
 */
const OFFLINE_GROUPS = PROVIDER_GROUPS.filter((g) => g.prefix !== "speech.realtime");

/** Points each model role or speech service that cannot be used and that nobody chose at the offline provider. */
function applyOfflineFallback(ctx: {
  merged: FlatMap;
  provenance: Record<string, Provenance>;
  providers: Record<string, ProviderConfig>;
  env: EnvMap;
  settingsPath: string;
  shownProviders: string;
}): void {
  const { merged, provenance, providers } = ctx;
  const text = (key: string) => {
    const v = merged.get(key);
    return typeof v === "string" ? v : "";
  };
  const offlineBaseUrl = text("offline.baseUrl");
  if (!offlineBaseUrl) return;
  const offline = providers[OFFLINE_PROVIDER];
  if (!offline)
    throw new ConfigError([
      {
        origin: provenance["offline.baseUrl"]?.origin ?? "settings",
        key: "offline.baseUrl",
        reason: `is set, but ${ctx.shownProviders} has no "${OFFLINE_PROVIDER}" provider to describe it`,
      },
    ]);
  const stored = groupsWithStoredKey(ctx.settingsPath);
  for (const group of OFFLINE_GROUPS) {
    const key = (field: string) => `${group.prefix}.${field}`;
    const fields = ["provider", group.modelKey, "baseUrl", "apiKeyEnv"];
    const provider = text(key("provider"));
    const decision = decideOfflineFallback({
      offlineBaseUrl,
      sources: Object.fromEntries(fields.map((f) => [f, provenance[key(f)]?.source])),
      keyRequired: providers[provider]?.keyRequired ?? true,
      keyAvailable: readSecret(text(key("apiKeyEnv")), ctx.env) !== undefined || stored.has(group.prefix),
    });
    if (!decision.fallback) continue;
    const origin = `offline provider at ${offlineBaseUrl} (no key for ${providers[provider]?.label ?? provider}, and no provider chosen)`;
    const values: Record<string, unknown> = {
      provider: OFFLINE_PROVIDER,
      [group.modelKey]: offline.models[group.suggest] ?? `offline-${group.suggest}`,
      baseUrl: offlineBaseUrl,
      apiKeyEnv: offline.apiKeyEnv,
    };
    for (const [field, value] of Object.entries(values)) {
      merged.set(key(field), value);
      provenance[key(field)] = { source: "offline", origin };
    }
  }
}

export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? processEnv();
  const root = options.root ?? process.cwd();
  const confDir = path.resolve(root, options.confDir ?? env.SOMA_CONF_DIR ?? "conf");
  const settingsPath = path.resolve(
    root,
    options.settingsFile ?? env.SOMA_SETTINGS_FILE ?? "tmp/settings.json",
  );
  const tenantsPath = path.join(confDir, "tenants.yaml");
  const providersPath = path.join(confDir, "model_providers.yaml");
  const shown = {
    settings: rel(root, settingsPath),
    tenants: rel(root, tenantsPath),
    providers: rel(root, providersPath),
  };
  const problems: ConfigProblem[] = [];

  const envLayer = readEnvSource(env, problems);
  const settingsLayer = readSettingsFile(settingsPath, shown.settings, problems);

  // Source 3: tenants.yaml. The tenant whose entry applies is itself a setting.
  let tenants: Record<string, TenantConfig> = {};
  const tenantsRaw = readYaml(tenantsPath, shown.tenants, problems);
  if (tenantsRaw !== undefined) {
    const parsed = tenantsFileSchema.safeParse(tenantsRaw);
    if (parsed.success) tenants = parsed.data.tenants;
    else problems.push(...zodProblems(parsed.error, shown.tenants));
  }
  const tenantLayer: SourceMap = new Map();
  const chosenTenant = pick("tenancy.defaultTenant", [envLayer, settingsLayer])?.value;
  const defaultTenant = typeof chosenTenant === "string" ? chosenTenant : codeDefaults.tenancy.defaultTenant;
  const tenant = tenants[defaultTenant];
  if (tenantsRaw !== undefined && Object.keys(tenants).length > 0 && !tenant) {
    problems.push({
      origin: shown.tenants,
      key: `tenants.${defaultTenant}`,
      reason: `the default tenant "${defaultTenant}" (tenancy.defaultTenant) is not defined`,
    });
  }
  if (tenant) {
    for (const role of MODEL_ROLES) {
      for (const [k, value] of Object.entries(tenant.models[role] ?? {})) {
        tenantLayer.set(`models.${role}.${k}`, {
          value,
          origin: `${shown.tenants} (tenants.${defaultTenant}.models.${role}.${k})`,
        });
      }
    }
  }

  // Source 4: the provider each role uses contributes its base URL, key variable and suggested model.
  let providers: Record<string, ProviderConfig> = {};
  const providersRaw = interpolateEnv(readYaml(providersPath, shown.providers, problems), env);
  if (providersRaw !== undefined) {
    const parsed = providersFileSchema.safeParse(providersRaw);
    if (parsed.success) providers = parsed.data.providers;
    else problems.push(...zodProblems(parsed.error, shown.providers));
  }
  const providersLayer: SourceMap = new Map();
  if (providersRaw !== undefined && Object.keys(providers).length > 0) {
    for (const group of PROVIDER_GROUPS) {
      const key = `${group.prefix}.provider`;
      const chosen = pick(key, [envLayer, settingsLayer, tenantLayer]) ?? {
        value: DEFAULT_LEAVES.get(key),
        origin: "code defaults",
      };
      const provider = typeof chosen.value === "string" ? providers[chosen.value] : undefined;
      if (!provider) {
        problems.push({
          origin: chosen.origin,
          key,
          reason: `unknown provider "${String(chosen.value)}" (known: ${Object.keys(providers).join(", ")})`,
        });
        continue;
      }
      const at = (k: string) => `${shown.providers} (providers.${String(chosen.value)}.${k})`;
      providersLayer.set(`${group.prefix}.baseUrl`, { value: provider.baseUrl, origin: at("baseUrl") });
      providersLayer.set(`${group.prefix}.apiKeyEnv`, { value: provider.apiKeyEnv, origin: at("apiKeyEnv") });
      const suggested = provider.models[group.suggest];
      if (suggested)
        providersLayer.set(`${group.prefix}.${group.modelKey}`, {
          value: suggested,
          origin: at(`models.${group.suggest}`),
        });
      const voice = provider.voices[0];
      if (voice && DEFAULT_LEAVES.has(`${group.prefix}.voice`))
        providersLayer.set(`${group.prefix}.voice`, { value: voice, origin: at("voices") });
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);

  const defaultsLayer: SourceMap = new Map(
    [...DEFAULT_LEAVES].map(([k, value]) => [k, { value, origin: "code defaults" }]),
  );
  const layers: [SourceName, SourceMap][] = [
    ["env", envLayer],
    ["settings", settingsLayer],
    ["tenant", tenantLayer],
    ["providers", providersLayer],
    ["default", defaultsLayer],
  ];
  const merged: FlatMap = new Map();
  const provenance: Record<string, Provenance> = {};
  for (const key of DEFAULT_LEAVES.keys()) {
    for (const [source, layer] of layers) {
      const hit = layer.get(key);
      if (hit === undefined) continue;
      merged.set(key, hit.value);
      provenance[key] = { source, origin: hit.origin };
      break;
    }
  }

  applyOfflineFallback({ merged, provenance, providers, env, settingsPath, shownProviders: shown.providers });

  const result = settingsSchema.safeParse(unflatten(merged));
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const key = issue.path.join(".");
        const from = provenance[key];
        return { origin: from?.origin ?? "settings", key, reason: issue.message };
      }),
    );
  }

  const envNames: Record<string, string[]> = {};
  for (const key of DEFAULT_LEAVES.keys()) envNames[key] = envNamesFor(key);

  return { settings: result.data, provenance, tenants, providers, files: shown, settingsPath, envNames };
}
