// The settings API: the effective value of every editable field with the source that set it, and
// partial updates of the shared settings document (configuration source 2: Postgres, with this
// host's tmp/settings.json as its copy, ./shared.ts). An update is validated field by field, refused
// for fields an environment variable locks, checked by loading the whole configuration with it,
// stored as the next version, written to this host's copy, applied in this process and announced
// over Redis so every other gateway and worker applies it within a second. API keys go to
// provider-keys.json (and, sealed, to Postgres when SOMA_SETTINGS_KEY is set), never into
// settings.json, and are never returned: only whether one is set.
import fs from "node:fs";
import type { Redis } from "ioredis";
import { z } from "zod";
import { ConfigError, getConfig, loadConfig, reloadConfig, type LoadedConfig } from "../config";
import { readSecret } from "../config/env";
import { flatten, unflatten } from "../config/paths";
import { PROVIDER_GROUPS } from "../config/provider-groups";
import { settingsSchema } from "../config/schema";
import { AppError } from "../errors";
import { FIELD_BY_KEY, FIELDS, isSecretField, secretGroup } from "./fields";
import { removeStaleTemps, writeFileAtomic } from "./atomic-write";
import { providerKeysFile, readProviderKeys, writeProviderKeys } from "./provider-keys";
import { envKeyMayGoTo, keyVariableAllowed, keyVariableHint } from "./key-policy";
import { db } from "../server/db";
import { announce, processId, wroteVersion } from "./shared";
import { keysShared, readStored, writeStored } from "./store";
import type { FieldState, SettingsView } from "./view";

export { SETTINGS_CHANNEL } from "./shared";
const LOCK_KEY = "settings:write-lock";

export type { FieldState, SettingsView } from "./view";

function leaf(settings: unknown, key: string): unknown {
  return key.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], settings);
}

function envVarOf(origin: string): string | undefined {
  return /^environment variable (\S+)$/.exec(origin)?.[1];
}

/**
 * What everyone else may see: values and sources, but not where they come from (file paths, variable
 * names), which keys are set, or the system prompt.
 */
export function readerView(view: SettingsView): SettingsView {
  const fields: Record<string, FieldState> = {};
  for (const [key, f] of Object.entries(view.fields)) {
    const { lockedBy: _lockedBy, set: _set, ...rest } = f;
    fields[key] = {
      ...rest,
      origin: null,
      ...(key === "agent.systemPrompt" ? { value: null } : {}),
    };
  }
  return { ...view, fields, file: "" };
}

export function settingsView(config: LoadedConfig = getConfig()): SettingsView {
  const stored = readProviderKeys();
  const fields: Record<string, FieldState> = {};
  for (const f of FIELDS) {
    if (f.kind === "secret") {
      const group = secretGroup(f.key);
      const apiKeyEnv = leaf(config.settings, `${group}.apiKeyEnv`) as string;
      const baseUrl = leaf(config.settings, `${group}.baseUrl`) as string;
      // A variable's key that does not belong with this address is not used here, so it locks nothing.
      const fromEnv = readSecret(apiKeyEnv) !== undefined && envKeyMayGoTo(config, group, apiKeyEnv, baseUrl);
      fields[f.key] = {
        set: fromEnv || Boolean(stored[group]),
        source: fromEnv ? "env" : stored[group] ? "settings" : null,
        origin: fromEnv ? `environment variable ${apiKeyEnv}` : stored[group] ? "provider-keys.json" : null,
        locked: fromEnv,
        ...(fromEnv ? { lockedBy: apiKeyEnv } : {}),
      };
      continue;
    }
    const p = config.provenance[f.key];
    const lockedBy = p?.source === "env" ? envVarOf(p.origin) : undefined;
    fields[f.key] = {
      value: leaf(config.settings, f.key),
      source: p?.source ?? null,
      origin: p?.origin ?? null,
      locked: p?.source === "env",
      ...(lockedBy ? { lockedBy } : {}),
      ...(f.kind === "number" ? numberBounds(f.key) : {}),
    };
  }
  const providers: SettingsView["providers"] = {};
  for (const [name, pr] of Object.entries(config.providers))
    providers[name] = {
      label: pr.label,
      baseUrl: pr.baseUrl,
      apiKeyEnv: pr.apiKeyEnv,
      keyRequired: pr.keyRequired,
      models: pr.models,
      voices: pr.voices,
    };
  return { fields, providers, file: config.files.settings };
}

// ---- updates ----------------------------------------------------------------------------------

/** The zod schema of one settings leaf, found by its dotted key. */
function leafSchema(key: string): z.ZodType {
  let node: z.ZodType = settingsSchema;
  for (const part of key.split(".")) node = (node as z.ZodObject<z.ZodRawShape>).shape[part] as z.ZodType;
  return node;
}

/** A number field's bounds, as the settings schema enforces them (the panel shows and checks them). */
export function numberBounds(key: string): { min?: number; max?: number } {
  const schema = leafSchema(key) as z.ZodType & { minValue?: number | null; maxValue?: number | null };
  const finite = (v: number | null | undefined) =>
    typeof v === "number" && Number.isFinite(v) && Math.abs(v) < Number.MAX_SAFE_INTEGER ? v : undefined;
  const min = finite(schema.minValue);
  const max = finite(schema.maxValue);
  return { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
}

const fieldError = (field: string, message: string) => ({ field, message });

function flattenPatch(body: unknown): Map<string, unknown> {
  if (!body || typeof body !== "object" || Array.isArray(body))
    throw new AppError("invalid_request", "Send a JSON object of settings to change.");
  const flat = flatten(body as Record<string, unknown>);
  if (flat.size === 0)
    throw new AppError("invalid_request", "Nothing to change: the body names no settings.");
  return flat;
}

export interface ChangeRecord {
  key: string;
  before: unknown;
  after: unknown;
}

/** Validates a partial update without writing anything; throws a 400/409 AppError naming the fields. */
export function validatePatch(body: unknown, config: LoadedConfig = getConfig()) {
  const flat = flattenPatch(body);
  const errors: { field: string; message: string }[] = [];
  const locked: { field: string; message: string }[] = [];
  const values = new Map<string, unknown>();
  const keys = new Map<string, string | null>();
  const current = settingsView(config).fields;
  for (const [key, raw] of flat) {
    const spec = FIELD_BY_KEY.get(key);
    if (!spec) {
      errors.push(fieldError(key, "not a setting that can be changed here"));
      continue;
    }
    const view = current[key]!;
    if (view.locked) {
      locked.push(
        fieldError(key, `locked by the environment variable ${view.lockedBy}; unset it to change this here`),
      );
      continue;
    }
    if (isSecretField(key)) {
      if (raw !== null && (typeof raw !== "string" || raw.length > 512 || /\s/.test(raw)))
        errors.push(fieldError(key, "must be the key as a string without spaces (or null to remove it)"));
      else keys.set(secretGroup(key), raw);
      continue;
    }
    const parsed = leafSchema(key).safeParse(raw);
    if (!parsed.success) {
      errors.push(fieldError(key, parsed.error.issues[0]?.message ?? "invalid value"));
      continue;
    }
    if (key.endsWith(".apiKeyEnv") && !keyVariableAllowed(parsed.data as string, config.providers)) {
      errors.push(fieldError(key, `must be ${keyVariableHint(config.providers)}`));
      continue;
    }
    if (spec.kind === "provider" && !config.providers[parsed.data as string]) {
      errors.push(
        fieldError(
          key,
          `unknown provider "${String(parsed.data)}" (known: ${Object.keys(config.providers).join(", ")})`,
        ),
      );
      continue;
    }
    values.set(key, parsed.data);
  }
  if (errors.length)
    throw new AppError(
      "invalid_request",
      `Invalid setting${errors.length > 1 ? "s" : ""}: ${errors.map((e) => e.field).join(", ")}.`,
      {
        details: errors,
      },
    );
  if (locked.length)
    throw new AppError("conflict", `Locked by the environment: ${locked.map((e) => e.field).join(", ")}.`, {
      details: locked,
    });
  return { values, keys };
}

function readSettingsFile(file: string): Map<string, unknown> {
  try {
    const data = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    return flatten(data);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return new Map();
    throw new AppError("internal", "The settings file cannot be read; fix or remove it and try again.", {
      cause: err,
    });
  }
}

async function withLock<T>(redis: Redis, fn: () => Promise<T>): Promise<T> {
  const token = `${process.pid}-${Date.now()}-${Math.random()}`;
  const deadline = Date.now() + 5_000;
  while ((await redis.set(LOCK_KEY, token, "PX", 10_000, "NX")) !== "OK") {
    if (Date.now() > deadline)
      throw new AppError("conflict", "Another settings change is being saved; try again.", {
        headers: { "retry-after": "1" },
      });
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    return await fn();
  } finally {
    await redis
      .eval(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
        1,
        LOCK_KEY,
        token,
      )
      .catch(() => undefined);
  }
}

const mask = (key: string, v: unknown) =>
  isSecretField(key)
    ? v
      ? "[set]"
      : "[not set]"
    : typeof v === "string" && v.length > 200
      ? `${v.slice(0, 200)}…`
      : v;

/**
 * Applies a validated update: the settings file gets the new values (a provider change drops the
 * group's address, key variable and model from the file unless given, so the provider's apply),
 * the whole configuration must load with it, then the file is replaced atomically and keys stored.
 */
export async function updateSettings(
  body: unknown,
  redis: Redis,
): Promise<{ view: SettingsView; changes: ChangeRecord[] }> {
  return withLock(redis, async () => {
    const config = getConfig();
    const { values, keys } = validatePatch(body, config);
    const file = config.settingsPath;
    removeStaleTemps(file);
    const stored = await readStored(db());
    const current = stored ? flatten(stored.document) : readSettingsFile(file);
    const next = new Map(current);
    for (const [key, value] of values) {
      next.set(key, value);
      const group = PROVIDER_GROUPS.find((g) => `${g.prefix}.provider` === key);
      if (group && value !== leaf(config.settings, key))
        for (const dep of [
          `${group.prefix}.baseUrl`,
          `${group.prefix}.apiKeyEnv`,
          `${group.prefix}.${group.modelKey}`,
          `${group.prefix}.voice`,
        ])
          if (!values.has(dep)) next.delete(dep);
    }
    const content = `${JSON.stringify(unflatten(next), null, 2)}\n`;

    // Check the whole configuration with the new file before it replaces the old one.
    const trial = `${file}.check-${process.pid}.tmp`;
    writeFileAtomic(trial, content);
    let candidate: LoadedConfig;
    try {
      candidate = loadConfig({ settingsFile: trial });
    } catch (err) {
      if (err instanceof ConfigError)
        throw new AppError("invalid_request", "These settings do not work together.", {
          details: err.problems.map((p) => fieldError(p.key ?? "settings", p.reason)),
        });
      throw err;
    } finally {
      fs.rmSync(trial, { force: true });
    }

    // A stored key goes with its address: moving a group to another address forgets the key (unless
    // a new one comes with the change), so a key cannot be redirected to a host it was not meant for.
    const storedKeys = readProviderKeys();
    for (const g of PROVIDER_GROUPS)
      if (
        !keys.has(g.prefix) &&
        storedKeys[g.prefix] &&
        leaf(candidate.settings, `${g.prefix}.baseUrl`) !== leaf(config.settings, `${g.prefix}.baseUrl`)
      )
        keys.set(g.prefix, null);

    const before = settingsView(config).fields;
    const nextKeys = { ...stored?.keys, ...readProviderKeys() };
    for (const [group, value] of keys) {
      if (value === null || value === "") delete nextKeys[group];
      else nextKeys[group] = value;
    }
    const version = await writeStored(db(), {
      after: stored?.version ?? null,
      document: unflatten(next),
      ...(keysShared() && (keys.size || !stored?.keys) ? { keys: nextKeys } : {}),
      by: processId(),
    });
    writeFileAtomic(file, content);
    if (keys.size) writeProviderKeys(Object.fromEntries(keys));
    const applied = reloadConfig();
    wroteVersion(version);
    await announce(redis, version);
    const view = settingsView(applied);
    const changes: ChangeRecord[] = [];
    for (const key of FIELD_BY_KEY.keys()) {
      const a = before[key]!;
      const b = view.fields[key]!;
      const was = isSecretField(key) ? a.set : a.value;
      const now = isSecretField(key) ? b.set : b.value;
      const keyChanged = isSecretField(key) && keys.has(secretGroup(key));
      if (JSON.stringify(was) !== JSON.stringify(now) || keyChanged)
        changes.push({
          key,
          before: mask(key, was),
          after: isSecretField(key) && keyChanged && was && now ? "[changed]" : mask(key, now),
        });
    }
    return { view, changes };
  });
}

/** Where provider keys are kept (for the docs and the panel). */
export { providerKeysFile };
