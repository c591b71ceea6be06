// The caller's address as the gateway saw it, handed to route handlers in a header the gateway sets
// itself (a client-sent one is overwritten, so it cannot be forged). Behind a proxy, the address comes
// from X-Forwarded-For only when the connection is from a proxy the operator trusts
// (server.trustedProxies); anyone else's X-Forwarded-For is ignored, so it cannot dodge a rate limit.
export const CLIENT_IP_HEADER = "x-soma-client-ip";

const plain = (ip: string) =>
  ip
    .trim()
    .replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "")
    .toLowerCase();

/** The client's address: the peer, or, from a trusted proxy, the nearest untrusted X-Forwarded-For hop. */
export function clientAddress(
  peer: string,
  forwardedFor: string | string[] | undefined,
  trusted: string[],
): string {
  const trustedSet = new Set(trusted.map(plain));
  if (!trustedSet.has(plain(peer)) || !forwardedFor) return plain(peer);
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor)
    .split(",")
    .map(plain)
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) if (!trustedSet.has(hops[i]!)) return hops[i]!;
  return hops[0] ?? plain(peer);
}
