// Where http_request may connect. The host name is resolved once, here; the sandbox then connects to
// that address (no second lookup a DNS answer could change: no rebinding). Loopback, private,
// link-local (cloud metadata), unspecified and multicast addresses are refused unless the
// allow-list names the host exactly: a wildcard entry never reaches inside the network.
import { isIP } from "node:net";

/** Why an address is not an ordinary public one, or undefined when it is. Pure. */
export function internalAddress(address: string): string | undefined {
  const ip = address.replace(/^\[|\]$/g, "").toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) return internalAddress(mapped[1]!);
  if (isIP(ip) === 4) {
    const [a, b] = ip.split(".").map(Number) as [number, number];
    if (a === 127) return "loopback";
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "private";
    if (a === 100 && b >= 64 && b <= 127) return "private"; // carrier-grade NAT
    if (a === 169 && b === 254) return "link-local (cloud metadata)";
    if (a === 0) return "unspecified";
    if (a >= 224) return "multicast or reserved";
    return undefined;
  }
  if (isIP(ip) === 6) {
    if (ip === "::1") return "loopback";
    if (ip === "::") return "unspecified";
    if (/^f[cd][0-9a-f]{2}:/.test(ip)) return "private"; // fc00::/7, with fd00:ec2::254 (metadata)
    if (/^fe[89ab][0-9a-f]:/.test(ip)) return "link-local";
    if (ip.startsWith("ff")) return "multicast";
    return undefined;
  }
  return "not an address";
}

export type TargetDecision = { ok: true; address: string; family: 4 | 6 } | { ok: false; reason: string };

/** Decides on the addresses `host` resolved to. `exactlyAllowed`: the allow-list names the host itself. */
export function decideTarget(
  host: string,
  addresses: { address: string; family: number }[],
  exactlyAllowed: boolean,
): TargetDecision {
  const first = addresses[0];
  if (!first) return { ok: false, reason: `host "${host}" has no address` };
  const inside = addresses.map((a) => ({ ...a, why: internalAddress(a.address) })).find((a) => a.why);
  if (inside && !exactlyAllowed)
    return {
      ok: false,
      reason: `host "${host}" resolves to a ${inside.why} address (${inside.address}); only a host named exactly in tools.httpAllowedHosts may`,
    };
  return { ok: true, address: first.address, family: first.family === 6 ? 6 : 4 };
}
