// OPA decisions over its REST data API.
import { getConfig } from "../config";

export class OpaError extends Error {}

export async function opaDecision<T>(
  path: string,
  input: unknown,
  opts: { baseUrl?: string; timeoutMs?: number } = {},
): Promise<T> {
  const base = opts.baseUrl ?? getConfig().settings.opa.url;
  const res = await fetch(`${base}/v1/data/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ input }),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 2_000),
  });
  if (!res.ok) throw new OpaError(`OPA answered ${res.status} for ${path}`);
  const body = (await res.json()) as { result?: T };
  if (body.result === undefined) throw new OpaError(`OPA has no policy at ${path} (policies not loaded?)`);
  return body.result;
}
