// Where http_request may connect. The host name is resolved once, here; the sandbox then connects to
// that address (no second lookup a DNS answer could change: no rebinding). Loopback, private,
// link-local (cloud metadata), unspecified and multicast addresses are refused unless the
// allow-list names the host exactly: a wildcard entry never reaches inside the network.
import { addressKind, type AddressKind } from "../net/address";

/** Why an address is not an ordinary public one (its kind), or undefined when it is. Pure. */
export function internalAddress(address: string): Exclude<AddressKind, "public"> | undefined {
  const kind = addressKind(address);
  return kind === "public" ? undefined : kind;
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
