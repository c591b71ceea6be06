// A model role's provider, built from the effective settings: any OpenAI-compatible provider
// (conf/model_providers.yaml) at its base URL, the key read from the named variable. A turn's
// streamed answer is read with lib/agent/chat-stream.ts; the `openai` client serves the rest.
import OpenAI from "openai";
import { getConfig, readSecret, type Settings } from "../config";
import { providerKey } from "../settings/provider-keys";
import { AppError } from "../errors";
import { OFFLINE_PROVIDER } from "../config/offline-fallback";
import { openChatStream, type ChatChunk, type ChatRequest } from "./chat-stream";

export type ModelRole = keyof Settings["models"];

export interface ModelTarget {
  /** For the roles other than chat (embeddings); a turn's answer is read with `openChatStream`. */
  client: OpenAI;
  /** The provider's streamed answer to `request` (lib/agent/chat-stream.ts); the key stays in here. */
  openChatStream(request: ChatRequest, signal: AbortSignal): Promise<AsyncGenerator<ChatChunk>>;
  role: ModelRole;
  provider: string;
  model: string;
  baseUrl: string;
  contextLength: number;
  temperature: number;
  params: Record<string, unknown>;
  /** The provider account's limits per minute (0 = none). */
  rpm: number;
  tpm: number;
}

const clients = new Map<string, OpenAI>();
/** A provider request's tries after the first, and its time to answer, whichever client sends it. */
const MAX_RETRIES = 2;
const TIMEOUT_MS = 120_000;

export interface ModelStatus {
  configured: boolean;
  provider: string;
  model: string;
  /** The role runs on the offline demo model (scripted answers): the UI says so. */
  offline: boolean;
  reason?: string;
}

/** Whether a role can be used: a key is set, or the provider does not need one. */
export function modelStatus(role: ModelRole): ModelStatus {
  const { settings, providers } = getConfig();
  const m = settings.models[role];
  const keyRequired = providers[m.provider]?.keyRequired ?? true;
  const offline = m.provider === OFFLINE_PROVIDER;
  if (keyRequired && !providerKey(`models.${role}`, m.apiKeyEnv, m.baseUrl))
    return {
      configured: false,
      provider: m.provider,
      model: m.name,
      offline,
      reason:
        readSecret(m.apiKeyEnv) !== undefined
          ? `The key in ${m.apiKeyEnv} is only sent to the address it belongs to, not ${m.baseUrl}: enter a key for this address in Settings, or set the address by environment variable.`
          : `No API key for ${providers[m.provider]?.label ?? m.provider}: enter one in Settings, set ${m.apiKeyEnv}, or choose another provider.`,
    };
  return { configured: true, provider: m.provider, model: m.name, offline };
}

export function modelTarget(role: ModelRole): ModelTarget {
  const { settings } = getConfig();
  const m = settings.models[role];
  const status = modelStatus(role);
  if (!status.configured)
    throw new AppError("unavailable", status.reason ?? "No model provider is configured.");
  const apiKey = providerKey(`models.${role}`, m.apiKeyEnv, m.baseUrl) ?? "not-needed";
  const cacheKey = `${m.baseUrl}\u0000${apiKey}`;
  let client = clients.get(cacheKey);
  if (!client) {
    client = new OpenAI({ apiKey, baseURL: m.baseUrl, maxRetries: MAX_RETRIES, timeout: TIMEOUT_MS });
    clients.set(cacheKey, client);
  }
  const endpoint = { baseUrl: m.baseUrl, apiKey };
  return {
    client,
    openChatStream: (request, signal) =>
      openChatStream(endpoint, request, { signal, maxRetries: MAX_RETRIES, timeoutMs: TIMEOUT_MS }),
    role,
    provider: m.provider,
    model: m.name,
    baseUrl: m.baseUrl,
    contextLength: m.contextLength,
    temperature: m.temperature,
    params: JSON.parse(m.params) as Record<string, unknown>,
    rpm: m.rpm,
    tpm: m.tpm,
  };
}

/** A provider failure in words a person can act on (never the key, never a stack). */
export function describeProviderError(
  err: unknown,
  target: Pick<ModelTarget, "model" | "baseUrl" | "provider">,
): {
  code: string;
  reason: string;
} {
  if (target.provider === OFFLINE_PROVIDER && err instanceof OpenAI.APIConnectionError)
    return {
      code: "offline_unavailable",
      reason:
        "The offline model is unavailable (it is not running). Run `make dev-up` again to restart it, or choose a model provider in Settings → Models.",
    };
  if (err instanceof OpenAI.APIConnectionTimeoutError)
    return {
      code: "provider_timeout",
      reason: `The model provider at ${target.baseUrl} did not answer in time.`,
    };
  if (err instanceof OpenAI.APIConnectionError)
    return { code: "provider_unreachable", reason: `Cannot reach the model provider at ${target.baseUrl}.` };
  if (err instanceof OpenAI.APIError) {
    const detail = (err.error as { message?: string } | undefined)?.message ?? err.message;
    switch (err.status) {
      case undefined:
        return { code: "provider_error", reason: `The model provider failed mid-answer: ${detail}` };
      case 401:
      case 403:
        return {
          code: "provider_auth",
          reason: `The model provider refused the API key (${err.status}). Check the key in settings.`,
        };
      case 404:
        return {
          code: "provider_model",
          reason: `The model provider does not know the model "${target.model}".`,
        };
      case 429:
        return {
          code: "provider_rate_limited",
          reason: "The model provider is rate-limiting requests (429). Try again in a moment.",
        };
      default:
        return { code: "provider_error", reason: `The model provider failed (${err.status}): ${detail}` };
    }
  }
  return {
    code: "provider_error",
    reason: `The model call failed: ${err instanceof Error ? err.message : String(err)}`,
  };
}
