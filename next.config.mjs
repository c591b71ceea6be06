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
  ],
  // The dev server is often opened as 127.0.0.1 as well as localhost.
  allowedDevOrigins: ["127.0.0.1", "localhost"],
  turbopack: { root: path.resolve(import.meta.dirname) },
};

export default nextConfig;
