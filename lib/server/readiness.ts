// /readyz: every dependency the gateway needs, each probed with a deadline so one hung service
// cannot hang the probe. 200 only when all answer; 503 names each failing dependency otherwise.
import type { Admin } from "kafkajs";
import type { Redis } from "ioredis";
import type { Db } from "./db";

export interface CheckResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export type Check = () => Promise<void>;

async function timed(check: Check, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: describe(err) };
  } finally {
    clearTimeout(timer);
  }
}

function describe(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length) return describe(err.errors[0]);
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split("\n")[0]!.slice(0, 200);
}

export async function runChecks(checks: Record<string, Check>, timeoutMs = 2_000) {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((n) => timed(checks[n]!, timeoutMs)));
  const byName = Object.fromEntries(names.map((n, i) => [n, results[i]!]));
  const failing = names.filter((n) => !byName[n]!.ok);
  return {
    status: failing.length === 0 ? ("ok" as const) : ("unavailable" as const),
    failing,
    checks: byName,
  };
}

export interface ReadinessDeps {
  db: Db;
  redis: Redis;
  kafkaAdmin?: () => Promise<Admin>;
  openfgaUrl: string;
  opaUrl: string;
}

async function httpOk(url: string, init?: RequestInit): Promise<Response> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(2_000) });
  if (!res.ok) throw new Error(`HTTP ${res.status} from ${new URL(url).pathname}`);
  return res;
}

export function gatewayChecks(deps: ReadinessDeps): Record<string, Check> {
  const checks: Record<string, Check> = {
    postgres: async () => {
      await deps.db.$queryRaw`SELECT 1`;
    },
    redis: async () => {
      const pong = await deps.redis.ping();
      if (pong !== "PONG") throw new Error(`unexpected reply ${String(pong)}`);
    },
    openfga: async () => {
      await httpOk(`${deps.openfgaUrl}/healthz`);
    },
    opa: async () => {
      // Up *and* our policies loaded and answering (conf/opa/system/health.rego): an OPA that
      // restarted empty would refuse every turn and tool call.
      const res = await fetch(`${deps.opaUrl}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      if (!res.ok)
        throw new Error(
          `policies not loaded (OPA /health/ready answered ${res.status}; OPA loads conf/opa at start, or run npm run migrate)`,
        );
    },
  };
  if (deps.kafkaAdmin) {
    const getAdmin = deps.kafkaAdmin;
    checks.kafka = async () => {
      const admin = await getAdmin();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length === 0) throw new Error("no brokers in cluster");
    };
  }
  return checks;
}
