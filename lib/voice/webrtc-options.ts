// Where the gateway's WebRTC peer offers media: every interface by default, or only the address in
// SOMA_WEBRTC_HOST (an announced address behind NAT or in a container; 127.0.0.1 for tests, which
// then also ignore the browser's other addresses). SOMA_WEBRTC_PORTS=min-max bounds the UDP ports.
import type { EnvMap } from "../config/env";

/** Where the WebRTC peer offers media. */
export interface WeriftPeerOptions {
  /** The one address to offer (default: every interface, and loopback). */
  host?: string;
  /** UDP port range for ICE, [min, max]. */
  portRange?: [number, number];
}

export function webrtcOptions(env: EnvMap = process.env): WeriftPeerOptions {
  const host = env.SOMA_WEBRTC_HOST?.trim();
  const ports = /^(\d+)-(\d+)$/.exec(env.SOMA_WEBRTC_PORTS?.trim() ?? "");
  const range: [number, number] | undefined =
    ports && Number(ports[1]) <= Number(ports[2]) ? [Number(ports[1]), Number(ports[2])] : undefined;
  return { ...(host ? { host } : {}), ...(range ? { portRange: range } : {}) };
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1)$/;

/** The offer without candidates outside loopback, when the peer itself is on loopback. */
export function onlyLoopbackCandidates(sdp: string): string {
  return sdp
    .split(/\r?\n/)
    .filter((line) => {
      const m = /^a=candidate:\S+ \d+ \S+ \d+ (\S+) \d+ typ/.exec(line);
      return !m || LOOPBACK.test(m[1]!);
    })
    .join("\r\n");
}

export const isLoopbackHost = (host: string | undefined) => host !== undefined && LOOPBACK.test(host);
