// Signed callbacks from executors to POST /api/internal/tool-results: HMAC-SHA256 over
// "<timestamp>.<body>" with the shared secret SOMA_INTERNAL_CALLBACK_SECRET. Old timestamps are
// refused so a captured request cannot be replayed later.
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-soma-signature";
export const TIMESTAMP_HEADER = "x-soma-timestamp";
const MAX_SKEW_S = 300;

export function sign(secret: string, body: string, timestamp: number): string {
  return "sha256=" + createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

export function verify(
  secret: string,
  body: string,
  timestamp: string | null,
  signature: string | null,
  now = Date.now(),
): boolean {
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(now / 1000 - Number(timestamp)) > MAX_SKEW_S) return false;
  const expected = Buffer.from(sign(secret, body, Number(timestamp)));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
