// "Test connection": one minimal real request to a model or speech provider with the values entered
// in the panel (saved or not), reported as success with latency, or the provider's error in plain
// words (unreachable host, refused key, unknown model).
import OpenAI, { toFile } from "openai";
import { z } from "zod";
import { getConfig } from "../config";
import { PROVIDER_GROUPS } from "../config/provider-groups";
import { AppError } from "../errors";
import { wavTone } from "../audio/wav";
import { providerKey } from "./provider-keys";
import { forbiddenAddress, sameAddress } from "./key-policy";
import { resolveHost } from "../net/address";

/** The forbidden address `baseUrl` leads to, if any (its host as written, or what its name resolves to). */
async function forbiddenTarget(baseUrl: string): Promise<string | undefined> {
  try {
    const addresses = await resolveHost(new URL(baseUrl).hostname);
    return addresses.find((a) => forbiddenAddress(a.address))?.address;
  } catch {
    return undefined; // a name that does not resolve is reported as unreachable by the request itself
  }
}

export const connectionTestBody = z
  .object({
    target: z.enum(PROVIDER_GROUPS.map((g) => g.prefix) as [string, ...string[]]),
    provider: z.string().min(1).optional(),
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    model: z.string().min(1).max(200).optional(),
    voice: z.string().min(1).max(100).optional(),
    apiKey: z.string().max(512).optional(),
  })
  .strict();
export type ConnectionTest = z.infer<typeof connectionTestBody>;

export interface ConnectionResult {
  ok: boolean;
  latencyMs: number;
  target: string;
  model: string;
  baseUrl: string;
  message: string;
  code?:
    | "unreachable"
    | "timeout"
    | "unauthorized"
    | "unknown_model"
    | "rate_limited"
    | "provider_error"
    | "forbidden_address";
}

function leaf(key: string): unknown {
  return key
    .split(".")
    .reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], getConfig().settings);
}

/**
 * `echoDetail`: whether the answer's own error text may be shown. Only for the providers' known
 * addresses: an arbitrary host's error body is not echoed, so the panel cannot be used to read
 * internal services.
 */
export function plainError(
  err: unknown,
  host: string,
  model: string,
  echoDetail = true,
): Pick<ConnectionResult, "code" | "message"> {
  if (err instanceof OpenAI.APIConnectionTimeoutError)
    return { code: "timeout", message: `${host} did not answer within 10 seconds.` };
  if (err instanceof OpenAI.APIConnectionError) {
    const cause = (err.cause as { code?: string; cause?: { code?: string } } | undefined) ?? {};
    const code = cause.code ?? cause.cause?.code;
    if (code === "ENOTFOUND" || code === "EAI_AGAIN")
      return { code: "unreachable", message: `The host ${host} cannot be found. Check the base URL.` };
    if (code === "ECONNREFUSED")
      return {
        code: "unreachable",
        message: `Nothing is listening at ${host} (connection refused). Is the server running?`,
      };
    return { code: "unreachable", message: `Cannot reach ${host}. Check the base URL and your network.` };
  }
  if (err instanceof OpenAI.APIError) {
    const detail = (err.error as { message?: string } | undefined)?.message ?? err.message;
    if (err.status === 401 || err.status === 403)
      return {
        code: "unauthorized",
        message: `The provider refused the API key (${err.status}). Check the key.`,
      };
    if (err.status === 404)
      return {
        code: "unknown_model",
        message: `The provider does not know the model "${model}" (404), or the base URL is not its API root.`,
      };
    if (err.status === 429)
      return {
        code: "rate_limited",
        message: "The provider is rate limiting this key (429); it works but is busy.",
      };
    return {
      code: "provider_error",
      message: echoDetail
        ? `The provider answered ${err.status ?? "an error"}: ${detail}`
        : `The server answered ${err.status ?? "an error"}.`,
    };
  }
  return { code: "provider_error", message: (err as Error).message };
}

export async function testConnection(input: ConnectionTest): Promise<ConnectionResult> {
  const { providers } = getConfig();
  const group = PROVIDER_GROUPS.find((g) => g.prefix === input.target)!;
  const savedProvider = leaf(`${group.prefix}.provider`) as string;
  const providerName = input.provider ?? savedProvider;
  const provider = providers[providerName];
  if (!provider)
    throw new AppError("invalid_request", `Unknown provider "${providerName}".`, {
      details: [{ field: "provider", message: `known: ${Object.keys(providers).join(", ")}` }],
    });
  const sameProvider = providerName === savedProvider;
  const baseUrl =
    input.baseUrl ?? (sameProvider ? (leaf(`${group.prefix}.baseUrl`) as string) : provider.baseUrl);
  const model =
    input.model ??
    (sameProvider ? (leaf(`${group.prefix}.${group.modelKey}`) as string) : provider.models[group.suggest]) ??
    "";
  if (!model)
    throw new AppError("invalid_request", "Enter a model name to test.", {
      details: [{ field: "model", message: "required" }],
    });
  const apiKeyEnv = sameProvider ? (leaf(`${group.prefix}.apiKeyEnv`) as string) : provider.apiKeyEnv;
  // A stored or environment key is only sent where it is meant to go (the saved address or the
  // provider's own); testing another address needs the key typed in, so a key cannot be lured away.
  const trusted =
    baseUrl === provider.baseUrl || (sameProvider && baseUrl === leaf(`${group.prefix}.baseUrl`));
  const apiKey =
    input.apiKey || (trusted ? providerKey(group.prefix, apiKeyEnv, baseUrl) : undefined) || "not-needed";
  const client = new OpenAI({ apiKey, baseURL: baseUrl, maxRetries: 0, timeout: 10_000 });
  const host = (() => {
    try {
      return new URL(baseUrl).host;
    } catch {
      return baseUrl;
    }
  })();

  const refused = await forbiddenTarget(baseUrl);
  if (refused)
    return {
      ok: false,
      latencyMs: 0,
      target: input.target,
      model,
      baseUrl,
      code: "forbidden_address",
      message: `Test connection does not reach link-local or cloud metadata addresses (${refused}).`,
    };
  const knownAddress = Object.values(providers).some((p) => sameAddress(p.baseUrl, baseUrl));

  const started = performance.now();
  const result = (ok: boolean, extra: Pick<ConnectionResult, "message"> & Partial<ConnectionResult>) => ({
    ok,
    latencyMs: Math.round(performance.now() - started),
    target: input.target,
    model,
    baseUrl,
    ...extra,
  });
  try {
    switch (group.suggest) {
      case "chat":
      case "utility":
        await client.chat.completions.create({
          model,
          messages: [{ role: "user", content: "ping" }],
          max_tokens: 1,
        });
        break;
      case "embedding":
        await client.embeddings.create({ model, input: "ping" });
        break;
      case "stt":
        await client.audio.transcriptions.create({
          model,
          file: await toFile(wavTone(0.3, 0, 16_000), "silence.wav", { type: "audio/wav" }),
        });
        break;
      case "tts": {
        const voice = input.voice ?? (leaf(`${group.prefix}.voice`) as string);
        const audio = await client.audio.speech.create({ model, voice, input: "Hello." });
        await audio.arrayBuffer();
        break;
      }
      case "realtime":
        // What a realtime call needs first: a client secret for the model (shortest life, never shown).
        await client.realtime.clientSecrets.create({
          expires_after: { anchor: "created_at", seconds: 10 },
          session: { type: "realtime", model },
        });
        break;
    }
    const r = result(true, { message: "" });
    return { ...r, message: `Connected: ${provider.label} answered with ${model} in ${r.latencyMs} ms.` };
  } catch (err) {
    return result(false, plainError(err, host, model, knownAddress));
  }
}
