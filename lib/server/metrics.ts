// Prometheus metrics: process defaults plus HTTP request counts and latency by route and status.
import client from "prom-client";
import { singleton } from "../singleton";

export interface Metrics {
  registry: client.Registry;
  httpRequests: client.Counter<"method" | "route" | "status">;
  httpDuration: client.Histogram<"method" | "route" | "status">;
  /** Open socket.io connections by namespace: what a gateway replica carries (the chart's HPA scales on it). */
  sockets: client.Gauge<"nsp">;
}

export function metrics(): Metrics {
  return singleton("metrics", () => {
    const registry = new client.Registry();
    client.collectDefaultMetrics({ register: registry, prefix: "somaagent_" });
    const httpRequests = new client.Counter({
      name: "somaagent_http_requests_total",
      help: "HTTP requests by method, route and status",
      labelNames: ["method", "route", "status"] as const,
      registers: [registry],
    });
    const httpDuration = new client.Histogram({
      name: "somaagent_http_request_duration_seconds",
      help: "HTTP request latency by method, route and status (event streams left out)",
      labelNames: ["method", "route", "status"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    const sockets = new client.Gauge({
      name: "somaagent_socketio_connections",
      help: "Open socket.io connections by namespace (/chat, /voice)",
      labelNames: ["nsp"] as const,
      registers: [registry],
    });
    return { registry, httpRequests, httpDuration, sockets };
  });
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** A low-cardinality route label: ids collapsed, static assets grouped. */
export function routeLabel(pathname: string): string {
  if (pathname.startsWith("/_next/")) return "/_next/*";
  if (pathname.startsWith("/socket.io")) return "/socket.io";
  return (
    pathname
      .replace(UUID, ":id")
      .replace(/\/\d+(?=\/|$)/g, "/:n")
      .slice(0, 100) || "/"
  );
}
