// What kind of address an IP is, and a host's addresses: the one classification behind every check
// of where we connect or who connects (http_request, Test connection, operators' endpoints).
import dns from "node:dns/promises";
import { isIP } from "node:net";

export type AddressKind =
  | "public"
  | "loopback"
  | "private"
  | "link-local" // 169.254.0.0/16 holds the cloud metadata services
  | "metadata" // AWS's IPv6 metadata address, fd00:ec2::254
  | "unspecified"
  | "multicast"
  | "reserved"
  | "invalid";

/** Eight 4-digit groups, so every spelling of an IPv6 address compares equal. */
function expandV6(ip: string): string {
  const [head, tail = ""] = ip.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = ip.includes("::") ? [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t] : h;
  return groups.map((g) => g.padStart(4, "0")).join(":");
}
const AWS_METADATA_V6 = expandV6("fd00:ec2::254");

/** Pure: the kind of one address (brackets and IPv4-mapped IPv6 accepted). */
export function addressKind(address: string): AddressKind {
  const ip = address
    .trim()
    .replace(/^\[|\]$/g, "")
    .toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) return addressKind(mapped[1]!);
  if (isIP(ip) === 4) {
    const [a, b] = ip.split(".").map(Number) as [number, number];
    if (a === 127) return "loopback";
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "private";
    if (a === 100 && b >= 64 && b <= 127) return "private"; // carrier-grade NAT
    if (a === 169 && b === 254) return "link-local";
    if (a === 0) return "unspecified";
    if (a >= 224 && a <= 239) return "multicast";
    if (a >= 240) return "reserved";
    return "public";
  }
  if (isIP(ip) === 6) {
    if (ip === "::1") return "loopback";
    if (ip === "::") return "unspecified";
    if (expandV6(ip) === AWS_METADATA_V6) return "metadata";
    if (/^f[cd][0-9a-f]{2}:/.test(ip)) return "private"; // fc00::/7
    if (/^fe[89ab][0-9a-f]:/.test(ip)) return "link-local";
    if (ip.startsWith("ff")) return "multicast";
    return "public";
  }
  return "invalid";
}

/** The addresses a host stands for: itself when it is an IP, else what the resolver answers (all of them). */
export async function resolveHost(host: string): Promise<{ address: string; family: number }[]> {
  const bare = host.replace(/^\[|\]$/g, "");
  const family = isIP(bare);
  return family ? [{ address: bare, family }] : dns.lookup(bare, { all: true });
}
