// The settings every process shares, their code defaults (source 5), and the zod schema that
// validates the merged result. Keys are the same in every source: env var names derive from them.
import { z } from "zod";
import { cronProblem, isTimeZone } from "../schedules/cron";

const modelRole = z
  .object({
    provider: z.string().min(1),
    name: z.string().min(1),
    baseUrl: z.url({ protocol: /^https?$/ }),
    apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "must be an environment variable name"),
    contextLength: z.number().int().positive(),
    temperature: z.number().min(0).max(2),
    rpm: z.number().int().min(0),
    tpm: z.number().int().min(0),
    /** Extra request parameters as a JSON object, e.g. {"top_p":0.9,"max_tokens":2048}. */
    params: z.string().refine(isJsonObject, 'must be a JSON object, e.g. {"top_p":0.9}'),
  })
  .strict();

function isJsonObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** A speech service (realtime, speech-to-text, text-to-speech): an OpenAI-compatible endpoint. */
const speechEndpoint = {
  provider: z.string().min(1),
  model: z.string().min(1),
  baseUrl: z.url({ protocol: /^https?$/ }),
  apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "must be an environment variable name"),
};

export const VOICES = [
  "alloy",
  "ash",
  "ballad",
  "coral",
  "echo",
  "fable",
  "nova",
  "onyx",
  "sage",
  "shimmer",
  "verse",
];

export const settingsSchema = z
  .object({
    server: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535),
        publicUrl: z.url(),
        logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]),
        bodyLimitBytes: z.number().int().positive(),
        /**
         * Bearer token for /metrics and /readyz details from other hosts; without one they are for
         * loopback callers only (/healthz is always public).
         */
        metricsToken: z.string(),
        /** Proxies whose X-Forwarded-For names the client (exact addresses); none: the peer is the client. */
        trustedProxies: z.array(z.union([z.ipv4(), z.ipv6()])),
        ui: z.boolean(),
        shutdownGraceMs: z.number().int().min(0),
        /** On SIGTERM, how long running turns get to finish before they are stopped (interrupted). */
        drainTimeoutMs: z.number().int().min(0),
        /**
         * Gateway processes on this host behind server.port (server/cluster/): 0 = one per core in
         * production, one in development and test; never more than the cores (docs/operations.md).
         */
        processes: z.number().int().min(0).max(1024),
      })
      .strict(),
    database: z
      .object({
        url: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL"),
        poolSize: z.number().int().min(1).max(200),
      })
      .strict(),
    redis: z.object({ url: z.string().regex(/^rediss?:\/\//, "must be a redis:// URL") }).strict(),
    bus: z.object({ transport: z.enum(["bullmq", "kafka"]) }).strict(),
    kafka: z
      .object({
        enabled: z.boolean(),
        brokers: z.array(z.string().regex(/^[^:\s]+:\d+$/, "must be host:port")).min(1),
        clientId: z.string().min(1),
        topicPrefix: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, "lowercase letters, digits, dots and dashes"),
        topicPartitions: z.number().int().min(1),
        /** Replicas of each bus topic the migration job creates (managed clusters often require 3). */
        topicReplicationFactor: z.number().int().min(1).max(32),
        /** TLS to the brokers (managed Kafka); the CA and client certificate files are optional. */
        ssl: z.boolean(),
        sslCaFile: z.string(),
        sslCertFile: z.string(),
        sslKeyFile: z.string(),
        /** SASL; empty: none. The password is a secret (SOMA_KAFKA_SASL_PASSWORD), never a setting. */
        saslMechanism: z.enum(["", "plain", "scram-sha-256", "scram-sha-512"]),
        saslUsername: z.string(),
      })
      .strict()
      .refine((k) => k.saslMechanism === "" || k.saslUsername !== "", {
        message: "SASL needs a user name (kafka.saslUsername)",
        path: ["saslUsername"],
      })
      .refine((k) => (k.sslCertFile === "") === (k.sslKeyFile === ""), {
        message:
          "a client certificate needs its key, and a key its certificate (kafka.sslCertFile, kafka.sslKeyFile)",
        path: ["sslKeyFile"],
      }),
    openfga: z.object({ apiUrl: z.url(), storeName: z.string().min(1) }).strict(),
    /**
     * binary: the opa executable that compiles the server's policies to WebAssembly, so the gateway
     * decides admission in process (lib/policy/in-process.ts); empty: every decision asks the server.
     */
    opa: z.object({ url: z.url(), binary: z.string() }).strict(),
    models: z.object({ chat: modelRole, utility: modelRole, embedding: modelRole }).strict(),
    agent: z
      .object({
        maxSteps: z.number().int().min(1).max(200),
        toolTimeoutMs: z.number().int().min(100),
        turnTimeoutMs: z.number().int().min(1000),
        systemPrompt: z.string().max(20_000),
        maxMessageBytes: z.number().int().min(1),
        /** Tools the agent may offer the model; empty: every tool the policy allows. */
        allowedTools: z.array(z.string().regex(/^[a-z_]+$/, "a tool name")),
      })
      .strict(),
    speech: z
      .object({
        mode: z.enum(["realtime", "cascaded"]),
        input: z.enum(["push-to-talk", "hands-free"]),
        realtime: z
          .object({
            ...speechEndpoint,
            voice: z.string().min(1),
            /** Let the browser start a call itself with a short-lived client secret (POST /api/v1/realtime/session). */
            allowDirect: z.boolean(),
            /** How long a direct start's client secret lives (seconds). */
            clientSecretTtlSeconds: z.number().int().min(10).max(600),
          })
          .strict(),
        turnDetection: z
          .object({
            type: z.enum(["server_vad", "semantic_vad"]),
            threshold: z.number().min(0).max(1),
            prefixPaddingMs: z.number().int().min(0).max(5000),
            silenceMs: z.number().int().min(100).max(10_000),
            eagerness: z.enum(["low", "medium", "high", "auto"]),
          })
          .strict(),
        bargeIn: z.object({ enabled: z.boolean(), sensitivity: z.number().min(0).max(1) }).strict(),
        /** A voice call ends after this long (the daily voice budget may end it sooner). */
        maxCallMinutes: z.number().int().min(1).max(240),
        /** When above 0, calls end after this many seconds instead (SOMA_SPEECH_MAX_CALL_SECONDS: tests, demos). */
        maxCallSeconds: z.number().int().min(0).max(14_400),
        stt: z
          .object({
            ...speechEndpoint,
            language: z
              .string()
              .regex(
                /^([a-z]{2,3}(-[A-Za-z]{2,4})?)?$/,
                "an ISO 639 code such as en or pt-BR, or empty to detect",
              ),
          })
          .strict(),
        tts: z
          .object({ ...speechEndpoint, voice: z.string().min(1), speed: z.number().min(0.25).max(4) })
          .strict(),
      })
      .strict(),
    tenancy: z.object({ defaultTenant: z.string().min(1) }).strict(),
    /** The project's offline provider, when one runs: the fallback of model roles nobody configured. */
    offline: z.object({ baseUrl: z.union([z.literal(""), z.url({ protocol: /^https?$/ })]) }).strict(),
    executor: z
      .object({
        concurrency: z.number().int().min(1).max(64),
        consumerGroup: z.string().min(1),
        healthPort: z.number().int().min(0).max(65535),
        /**
         * Where /healthz, /readyz and /metrics listen: loopback by default (they need no token);
         * 0.0.0.0 in a pod, so the kubelet's probes and Prometheus reach them.
         */
        healthHost: z.union([z.ipv4(), z.ipv6()]),
        workspaceRoot: z.string(),
        workspaceSweepMs: z.number().int().min(100),
        /**
         * Size of a session's workspace (its own loop-mounted ext4 image): writes past it fail with
         * "no space left". 0 = no quota (a plain directory). Applies to workspaces made after a change.
         */
        workspaceMaxMb: z
          .number()
          .int()
          .refine((mb) => mb === 0 || (mb >= 16 && mb <= 1_048_576), "0 (no quota) or 16 to 1048576 MiB"),
        secretsFile: z.string(),
        resultRoute: z.enum(["bus", "callback"]),
        callbackUrl: z.url(),
        sandboxMemoryMb: z.number().int().min(32),
        sandboxCpuSeconds: z.number().int().min(1),
        sandboxMaxProcesses: z.number().int().min(4),
        sandboxOutputBytes: z.number().int().min(1024),
        /** Size of the sandbox's private /tmp (a tmpfs, so it counts against memory, not disk). */
        sandboxTmpMb: z.number().int().min(1).max(4096),
        sandboxUidBase: z.number().int().min(1000),
        /**
         * Sandboxes each tool host keeps started ahead of a session's next code_execution call
         * (lib/sandbox/warm-pool.ts; one per session and runtime, killed after a minute unused).
         * 0 = every call starts its own.
         */
        warmSandboxes: z.number().int().min(0).max(256),
        /**
         * Attempts a tool call gets (each claim, each retry of a step that failed before the tool
         * ran, such as an OPA that cannot answer) before it ends `failed` with the last reason.
         */
        maxAttempts: z.number().int().min(1).max(50),
        /** The first retry's delay; each further one doubles it. */
        retryBackoffMs: z.number().int().min(50).max(60_000),
      })
      .strict(),
    tools: z.object({ httpAllowedHosts: z.array(z.string().min(1)) }).strict(),
    /** The scheduler process (workers/scheduler, docs/schedules.md). */
    scheduler: z
      .object({
        /** How often it looks for due schedules and finished runs. */
        tickMs: z.number().int().min(100).max(60_000),
        /** Attempts to start a run's turn (a turn already running, an outage) before it is failed. */
        maxAttempts: z.number().int().min(1).max(20),
        /** The first retry's delay; each further one doubles it. */
        retryBackoffMs: z.number().int().min(100),
        /** Runs one scheduler starts at once. */
        concurrency: z.number().int().min(1).max(64),
        /** /healthz and /metrics of the scheduler (0 = off). */
        metricsPort: z.number().int().min(0).max(65535),
        /** Where that port listens: loopback, or 0.0.0.0 for a Prometheus in another container. */
        metricsHost: z.union([z.ipv4(), z.ipv6()]),
      })
      .strict(),
    /** Backups (lib/backup, docs/operations.md "Backups"): `make backup`, and the scheduler on a cron. */
    backup: z
      .object({
        /** When the scheduler takes a backup: a five-field cron expression; empty: never (make backup only). */
        schedule: z.string().superRefine((s, ctx) => {
          const problem = s.trim() === "" ? null : cronProblem(s);
          if (problem) ctx.addIssue({ code: "custom", message: `not a cron expression: ${problem}` });
        }),
        /** The time zone `schedule` is read in. */
        timezone: z.string().refine(isTimeZone, "an IANA time zone such as UTC or Europe/Berlin"),
        /** Where backups go: a directory (relative: to the project root) or s3://bucket/prefix. */
        target: z.string().min(1),
        /** Backups kept: the newest this many (0: no limit by count). */
        keepCount: z.number().int().min(0).max(10_000),
        /** Backups older than this many days are deleted (0: no limit by age). The newest is always kept. */
        keepDays: z.number().int().min(0).max(36_500),
        /**
         * OpenFGA's own database, dumped beside the app's; "off" (or empty in a settings file): only
         * the store's tuples, through its API (a managed OpenFGA).
         */
        openfgaDatabaseUrl: z.union([
          z.literal(""),
          z.literal("off"),
          z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL or "off"'),
        ]),
        /** Where pg_dump and pg_restore are; empty: the newest /usr/lib/postgresql/<v>/bin, else PATH. */
        pgBinDir: z.string(),
        /** An S3-compatible endpoint (SeaweedFS, Ceph, R2, …); empty: AWS S3 itself. */
        s3Endpoint: z.union([z.literal(""), z.url({ protocol: /^https?$/ })]),
        s3Region: z.string().min(1),
        /** Path-style bucket addressing (http://host/bucket/key), which most S3-compatible stores need. */
        s3ForcePathStyle: z.boolean(),
      })
      .strict(),
    memory: z
      .object({
        /** Meaning's share of a memory search's score (the rest is words); 0: words only, no embeddings. */
        hybridWeight: z.number().min(0).max(1),
        /** A memory matching no word is found by meaning only from this cosine similarity up. */
        minSimilarity: z.number().min(0).max(1),
      })
      .strict(),
  })
  .strict();

export type Settings = z.infer<typeof settingsSchema>;

const model = (name: string, contextLength: number, temperature: number) => ({
  provider: "openai",
  name,
  baseUrl: "https://api.openai.com/v1",
  apiKeyEnv: "OPENAI_API_KEY",
  contextLength,
  temperature,
  rpm: 0,
  tpm: 0,
  params: "{}",
});

/** Source 5: what applies when nothing else says otherwise. Works out of the box with OpenAI. */
export const codeDefaults: Settings = {
  server: {
    host: "0.0.0.0",
    port: 3000,
    publicUrl: "http://localhost:3000",
    logLevel: "info",
    bodyLimitBytes: 1_048_576,
    metricsToken: "",
    trustedProxies: [],
    ui: true,
    shutdownGraceMs: 10_000,
    drainTimeoutMs: 30_000,
    processes: 0,
  },
  database: { url: "postgresql://soma:soma@127.0.0.1:15432/somaagent", poolSize: 10 },
  redis: { url: "redis://127.0.0.1:16379" },
  bus: { transport: "bullmq" },
  kafka: {
    enabled: true,
    brokers: ["127.0.0.1:19092"],
    clientId: "somaagent",
    topicPrefix: "somastack",
    topicPartitions: 3,
    topicReplicationFactor: 1,
    ssl: false,
    sslCaFile: "",
    sslCertFile: "",
    sslKeyFile: "",
    saslMechanism: "",
    saslUsername: "",
  },
  openfga: { apiUrl: "http://127.0.0.1:18080", storeName: "somaagent" },
  opa: { url: "http://127.0.0.1:18181", binary: "" },
  models: {
    chat: model("gpt-4o-mini", 128_000, 0.7),
    utility: model("gpt-4o-mini", 128_000, 0.2),
    embedding: model("text-embedding-3-small", 8_191, 0),
  },
  agent: {
    maxSteps: 25,
    toolTimeoutMs: 60_000,
    turnTimeoutMs: 300_000,
    systemPrompt: "",
    maxMessageBytes: 32_768,
    allowedTools: [],
  },
  speech: {
    mode: "realtime",
    input: "hands-free",
    realtime: {
      provider: "openai",
      model: "gpt-realtime",
      baseUrl: "https://api.openai.com/v1",
      apiKeyEnv: "OPENAI_API_KEY",
      voice: "alloy",
      allowDirect: false,
      clientSecretTtlSeconds: 60,
    },
    turnDetection: {
      type: "server_vad",
      threshold: 0.5,
      prefixPaddingMs: 300,
      silenceMs: 500,
      eagerness: "auto",
    },
    bargeIn: { enabled: true, sensitivity: 0.5 },
    maxCallMinutes: 30,
    maxCallSeconds: 0,
    stt: {
      provider: "openai",
      model: "gpt-4o-mini-transcribe",
      baseUrl: "https://api.openai.com/v1",
      apiKeyEnv: "OPENAI_API_KEY",
      language: "",
    },
    tts: {
      provider: "openai",
      model: "gpt-4o-mini-tts",
      baseUrl: "https://api.openai.com/v1",
      apiKeyEnv: "OPENAI_API_KEY",
      voice: "alloy",
      speed: 1,
    },
  },
  tenancy: { defaultTenant: "default" },
  offline: { baseUrl: "" }, // set by `make dev-up` when it starts the offline provider
  executor: {
    concurrency: 4,
    consumerGroup: "tool-executor",
    healthPort: 3001,
    healthHost: "127.0.0.1",
    workspaceRoot: "", // empty: .services/workspaces, or /var/tmp/somaagent when sandbox uids cannot reach the checkout
    workspaceSweepMs: 60_000,
    workspaceMaxMb: 512,
    secretsFile: "",
    resultRoute: "bus",
    callbackUrl: "http://127.0.0.1:3000/api/internal/tool-results",
    sandboxMemoryMb: 256,
    sandboxCpuSeconds: 10,
    sandboxMaxProcesses: 32,
    sandboxOutputBytes: 65_536,
    sandboxTmpMb: 64,
    sandboxUidBase: 60_000,
    warmSandboxes: 8,
    maxAttempts: 5,
    retryBackoffMs: 1_000, // 1 + 2 + 4 + 8 s: an OPA or Postgres restart passes within the attempts
  },
  tools: { httpAllowedHosts: [] },
  scheduler: {
    tickMs: 5_000,
    maxAttempts: 5,
    retryBackoffMs: 5_000,
    concurrency: 4,
    metricsPort: 3002,
    metricsHost: "127.0.0.1",
  },
  backup: {
    schedule: "",
    timezone: "UTC",
    target: ".services/backups", // outside what make dev-clean deletes
    keepCount: 7,
    keepDays: 30,
    openfgaDatabaseUrl: "postgresql://soma:soma@127.0.0.1:15432/openfga",
    pgBinDir: "",
    s3Endpoint: "",
    s3Region: "us-east-1",
    s3ForcePathStyle: false,
  },
  memory: { hybridWeight: 0.5, minSimilarity: 0.3 },
};

/** Short, conventional names accepted beside the derived SOMA_* names. */
export const envAliases: Record<string, string> = {
  PORT: "server.port",
  HOST: "server.host",
  LOG_LEVEL: "server.logLevel",
  SOMA_GATEWAY_PROCESSES: "server.processes",
  DATABASE_URL: "database.url",
  REDIS_URL: "redis.url",
  KAFKA_BROKERS: "kafka.brokers",
  OPENFGA_API_URL: "openfga.apiUrl",
  OPA_URL: "opa.url",
};
