// Schemas of the two YAML files in conf/: tenants (source 3) and model providers (source 4).
import { z } from "zod";

const rolePartial = z
  .object({
    provider: z.string().min(1),
    name: z.string().min(1),
    baseUrl: z.string(),
    apiKeyEnv: z.string(),
    contextLength: z.number(),
    temperature: z.number(),
    rpm: z.number(),
    tpm: z.number(),
    params: z.string(),
  })
  .partial()
  .strict();

export const tenantSchema = z
  .object({
    name: z.string().min(1),
    budgets: z
      .object({
        tokensDaily: z.number().int().min(0),
        tokensMonthly: z.number().int().min(0),
        voiceMinutesDaily: z.number().min(0).optional(),
      })
      .strict(),
    rateLimits: z
      .object({
        chatMessages: z.number().int().min(1),
        voiceSessions: z.number().int().min(1),
        toolInvocations: z.number().int().min(1),
        authAttempts: z.number().int().min(1),
      })
      .strict(),
    models: z
      .object({
        /** Models this tenant may call; absent: every model. */
        allowed: z.array(z.string().min(1)).min(1).optional(),
        chat: rolePartial.optional(),
        utility: rolePartial.optional(),
        embedding: rolePartial.optional(),
      })
      .strict(),
    tools: z
      .object({ denied: z.array(z.string()).default([]) })
      .strict()
      .default({ denied: [] }),
    limits: z
      .object({ maxSessions: z.number().int().min(1), maxMessageBytes: z.number().int().min(1) })
      .strict(),
    /** Secrets this tenant's tool calls may use as {{secret:NAME}} (lib/secrets/store.ts). */
    secrets: z
      .record(
        z.string().regex(/^[A-Za-z0-9_]+$/, "secret names are letters, digits and _"),
        z
          .object({
            /** The environment variable (of the tool executor) that holds the value. */
            env: z
              .string()
              .regex(/^[A-Z_][A-Z0-9_]*$/, "must be an environment variable name")
              .optional(),
            /** A file holding the value (e.g. a mounted Kubernetes or Docker secret). */
            file: z.string().min(1).optional(),
            /** The tools that may use it; never code_execution. */
            tools: z.array(z.string().regex(/^[a-z_]+$/)).default(["http_request"]),
          })
          .strict()
          .refine((s) => !(s.env && s.file), "give env or file, not both"),
      )
      .default({}),
  })
  .strict();

export const tenantsFileSchema = z
  .object({
    tenants: z.record(
      z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "tenant ids are lowercase slugs"),
      tenantSchema,
    ),
  })
  .strict();

export const providerSchema = z
  .object({
    label: z.string().min(1),
    baseUrl: z.url({ protocol: /^https?$/ }),
    apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "must be an environment variable name"),
    keyRequired: z.boolean().default(true),
    /** The model this provider suggests for each use. */
    models: z
      .object({
        chat: z.string(),
        utility: z.string(),
        embedding: z.string(),
        realtime: z.string(),
        stt: z.string(),
        tts: z.string(),
      })
      .partial()
      .strict()
      .default({}),
    /** Voices it offers (text-to-speech and realtime); the first is the default. */
    voices: z.array(z.string().min(1)).default([]),
    /**
     * US dollars per million tokens, per model, for the cost recorded with each turn's usage; a
     * realtime model's audio tokens have their own prices (text prices when not given).
     */
    prices: z
      .record(
        z.string(),
        z
          .object({
            input: z.number().min(0),
            output: z.number().min(0),
            audioInput: z.number().min(0).optional(),
            audioOutput: z.number().min(0).optional(),
          })
          .strict(),
      )
      .default({}),
    notes: z.string().optional(),
  })
  .strict();

export const providersFileSchema = z.object({ providers: z.record(z.string(), providerSchema) }).strict();

export type TenantConfig = z.infer<typeof tenantSchema>;
export type ProviderConfig = z.infer<typeof providerSchema>;
