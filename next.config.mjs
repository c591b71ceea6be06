// Next.js runs inside the custom gateway server (server/index.ts); this file configures its build.
import path from "node:path";

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Server-only packages stay external to the route-handler bundles (native/optional deps, large clients).
  serverExternalPackages: [
    "pino",
    "pino-pretty",
    "ioredis",
    "kafkajs",
    "bullmq",
    "pg",
    "@prisma/adapter-pg",
    "prom-client",
    // lib/policy/in-process.ts sets one of its builtins: one module instance, Node's.
    "@open-policy-agent/opa-wasm",
  ],
  // Next's dev-tools badge sits on the message box at phone width and on the sidebar's links in
  // every corner it offers; build and runtime errors still open the dev overlay without it.
  devIndicators: false,
  // The dev server is often opened as 127.0.0.1 as well as localhost.
  allowedDevOrigins: ["127.0.0.1", "localhost"],
  turbopack: { root: path.resolve(import.meta.dirname) },
};

export default nextConfig;
