// A TCP load balancer for tests: each new connection goes to the first gateway (or, with
// `roundRobin`, to the next one in turn), and to the one after it when that one refuses (a gateway
// draining or restarting), as a load balancer with health checks would. Open connections stay.
import net from "node:net";

export interface LoadBalancer {
  base: string;
  close(): Promise<void>;
}

export async function loadBalancer(
  ports: number[],
  opts: { roundRobin?: boolean } = {},
): Promise<LoadBalancer> {
  const open = new Set<net.Socket>();
  let next = 0;
  const server = net.createServer((downstream) => {
    open.add(downstream);
    downstream.pause();
    downstream.on("error", () => downstream.destroy()); // the client went away: nothing to tell
    downstream.on("close", () => open.delete(downstream));
    const first = opts.roundRobin ? next++ % ports.length : 0;
    const attempt = (tried: number) => {
      if (tried >= ports.length) return downstream.destroy();
      const upstream = net.connect(ports[(first + tried) % ports.length]!, "127.0.0.1");
      let connected = false;
      upstream.once("connect", () => {
        connected = true;
        downstream.pipe(upstream).pipe(downstream);
        downstream.resume();
        downstream.on("close", () => upstream.destroy());
        upstream.on("close", () => downstream.destroy());
      });
      upstream.on("error", () => {
        if (!connected)
          attempt(tried + 1); // refused: the next gateway
        else downstream.destroy();
      });
    };
    attempt(0);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
