// API tokens against the real Postgres and Redis: a seeded token authenticates, a wrong one does
// not, a revoked one stops at once (cache entry dropped), and /api/v1/* answers 401 as JSON.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID, scryptSync } from "node:crypto";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticate, SESSION_COOKIE, tokenCacheKey } from "@/lib/auth/principal";
import { signIn, signOut } from "@/lib/auth/web-session";
import { verifyPassword } from "@/lib/auth/password";
import { hashSecret } from "@/lib/auth/tokens";
import { seedTenantUser } from "@/lib/jobs/seed";
import { createDb } from "@/lib/server/db";
import { createRedis } from "@/lib/server/redis";
import { createHttpHandler } from "@/server/http-handler";
import { CONTRACTS } from "@/app/api/contracts";
import { methodTable } from "@/lib/api/method-table";
import { settings } from "../helpers/services";

const db = createDb(settings().database.url);
const redis = createRedis(settings().redis.url);
const deps = { db, redis };
let token: string;
const email = `auth-${randomUUID()}@test.local`;
const password = `pw-${randomUUID()}`;
let server: http.Server;
let base: string;

beforeAll(async () => {
  const seeded = await seedTenantUser(db, undefined, {
    tenantSlug: `auth-test-${randomUUID().slice(0, 8)}`,
    tenantName: "Auth test",
    email,
    displayName: "Auth test",
    role: "member",
    password,
  });
  token = seeded.token;
  const handler = createHttpHandler({
    log: pino({ level: "silent" }),
    dev: false,
    ui: true,
    auth: () => deps,
    isShuttingDown: () => false,
    allowedOrigins: ["http://app.example"],
    trustedProxies: [],
    methods: methodTable(CONTRACTS),
    metricsToken: "",
    readiness: () => ({}),
    next: async (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end('{"reached":"next"}');
    },
  });
  server = http.createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.close();
  redis.disconnect();
  await db.$disconnect();
});

describe("API token authentication", () => {
  it("resolves a valid token to its user and tenant, and caches the lookup in Redis", async () => {
    const p = await authenticate({ authorization: `Bearer ${token}` }, deps);
    expect(p).toMatchObject({ kind: "token", role: "member" });
    expect(await redis.get(tokenCacheKey(hashSecret(token)))).toContain(p!.userId);
  });

  it("rejects an unknown token and a malformed header", async () => {
    expect(await authenticate({ authorization: "Bearer soma_not-a-real-token" }, deps)).toBeNull();
    expect(await authenticate({ authorization: "Basic abc" }, deps)).toBeNull();
    expect(await authenticate({}, deps)).toBeNull();
  });

  it("stops accepting a revoked token as soon as its cache entry is dropped", async () => {
    const hash = hashSecret(token);
    expect(await authenticate({ authorization: `Bearer ${token}` }, deps)).not.toBeNull();
    await db.apiToken.update({ where: { tokenHash: hash }, data: { revokedAt: new Date() } });
    await redis.del(tokenCacheKey(hash));
    expect(await authenticate({ authorization: `Bearer ${token}` }, deps)).toBeNull();
  });
});

describe("the /api/v1 gate", () => {
  it.each(["/api/v1/me", "/api/v1/sessions", "/api/v1/anything/else"])(
    "answers 401 JSON to an anonymous %s",
    async (p) => {
      const res = await fetch(`${base}${p}`);
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("unauthorized");
      expect(body.error.message).toMatch(/Authorization: Bearer/);
    },
  );

  it("passes an authenticated request through, with security headers and a request id", async () => {
    const fresh = await seedTenantUser(db, undefined, {
      tenantSlug: `auth-test-${randomUUID().slice(0, 8)}`,
      tenantName: "Auth test 2",
      email: `auth-${randomUUID()}@test.local`,
      displayName: "Auth test 2",
    });
    const res = await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${fresh.token}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ reached: "next" });
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });

  it("replaces a password hash of the old, cheaper scrypt cost at the next sign-in", async () => {
    const salt = Buffer.from("old-cost-salt-16");
    const key = scryptSync(password, salt, 32, { N: 16_384, r: 8, p: 1 });
    const old = `scrypt$16384$8$1$${salt.toString("base64url")}$${key.toString("base64url")}`;
    await db.user.update({ where: { email }, data: { passwordHash: old } });
    await signIn(db, redis, email, password);
    const { passwordHash } = await db.user.findUniqueOrThrow({ where: { email } });
    expect(passwordHash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await verifyPassword(password, passwordHash!)).toBe(true);
    // A wrong password changes nothing.
    await db.user.update({ where: { email }, data: { passwordHash: old } });
    await expect(signIn(db, redis, email, "wrong")).rejects.toMatchObject({ code: "unauthorized" });
    expect((await db.user.findUniqueOrThrow({ where: { email } })).passwordHash).toBe(old);
    await signIn(db, redis, email, password);
  });

  it("signs in by password (one message for any failure), and refuses cross-site cookie writes", async () => {
    await expect(signIn(db, redis, email, "wrong")).rejects.toMatchObject({
      code: "unauthorized",
      message: "Wrong email or password.",
    });
    await expect(signIn(db, redis, `nobody-${randomUUID()}@test.local`, password)).rejects.toMatchObject({
      message: "Wrong email or password.",
    });
    const { secret } = await signIn(db, redis, email.toUpperCase(), password);
    const cookie = `${SESSION_COOKIE}=${secret}`;
    expect((await fetch(`${base}/api/v1/me`, { headers: { cookie } })).status).toBe(200);
    const post = (headers: Record<string, string>) =>
      fetch(`${base}/api/v1/sessions`, { method: "POST", headers: { cookie, ...headers } });
    const foreign = await post({ origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe("forbidden");
    expect((await post({})).status).toBe(403);
    expect((await post({ referer: "::not a url" })).status).toBe(403);
    expect((await post({ origin: "http://app.example" })).status).toBe(200);
    // Tokens are not cookies: no Origin needed (a fresh token: the one above was revoked).
    const fresh = await seedTenantUser(db, undefined, {
      tenantSlug: (await db.tenant.findFirstOrThrow({ where: { users: { some: { email } } } })).slug,
      tenantName: "Auth test",
      email,
      displayName: "Auth test",
    });
    expect(
      (
        await fetch(`${base}/api/v1/sessions`, {
          method: "POST",
          headers: { authorization: `Bearer ${fresh.token}` },
        })
      ).status,
    ).toBe(200);
    await signOut(redis, secret);
    expect((await fetch(`${base}/api/v1/me`, { headers: { cookie } })).status).toBe(401);
  });
});
