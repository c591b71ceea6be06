// Each gateway process binds its WebRTC media to its own part of the UDP range (SOMA_WEBRTC_PORTS),
// so two processes never offer the same port: a browser's packets reach the process whose call
// they belong to, and the range published in a container stays the one the operator chose.

export type PortRange = [number, number];

/** `range` cut into `count` disjoint, contiguous slices, as even as the ports allow. */
export function portSlices(range: PortRange, count: number): PortRange[] {
  const [min, max] = range;
  const ports = max - min + 1;
  if (ports < count)
    throw new Error(
      `SOMA_WEBRTC_PORTS=${min}-${max} has ${ports} port(s) for ${count} gateway processes: each needs its own (widen the range or set SOMA_GATEWAY_PROCESSES lower)`,
    );
  const base = Math.floor(ports / count);
  const extra = ports % count;
  const slices: PortRange[] = [];
  let start = min;
  for (let i = 0; i < count; i++) {
    const size = base + (i < extra ? 1 : 0);
    slices.push([start, start + size - 1]);
    start += size;
  }
  return slices;
}
