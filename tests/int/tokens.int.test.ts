// API tokens over the API, on two gateway processes: the secret is shown once and never listed; a
// revoked token is refused within a second on both.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStubProvider, type StubServer } from "@/server/offline-provider/server";
import { createDb } from "@/lib/server/db";
import { client, seedUser, startGatewayPair, type GatewayProcess, type TestUser } from "../helpers/chat";
import { settings, stopProcess, waitUntil } from "../helpers/services";

const db = createDb(settings().database.url);
let stub: StubServer;
let a: { gateway: GatewayProcess; base: string };
let b: { gateway: GatewayProcess; base: string };
let user: TestUser;

beforeAll(async () => {
  stub = await startStubProvider();
  [a, b] = await startGatewayPair(stub);
  user = await seedUser(db, "member");
}, 120_000);

afterAll(async () => {
  await Promise.all([a && stopProcess(a.gateway), b && stopProcess(b.gateway)]);
  await stub?.close();
  await db.$disconnect();
});

describe("API tokens", () => {
  it("creates a token whose secret is shown once, lists tokens without secrets", async () => {
    const api = client(a.base, user.token);
    const created = await api.post("/api/v1/tokens", { name: "ci", expiresInDays: 30 });
    expect(created.status).toBe(201);
    const secret = created.json.token as string;
    expect(secret).toMatch(/^soma_/);
    expect(created.json).toMatchObject({ name: "ci", revokedAt: null });
    expect(created.json.prefix).toBe(secret.slice(0, 11));
    const list = await api.get("/api/v1/tokens");
    const text = JSON.stringify(list.json);
    expect(text).not.toContain(secret);
    expect(text).not.toMatch(/tokenHash|token_hash/);
    expect((list.json.items as { id: string }[]).map((t) => t.id)).toContain(created.json.id);
    const row = await db.apiToken.findUniqueOrThrow({ where: { id: created.json.id as string } });
    expect(row.tokenHash).not.toContain(secret);
  });

  it("refuses bad input and other people's tokens", async () => {
    const api = client(a.base, user.token);
    expect((await api.post("/api/v1/tokens", { name: "" })).status).toBe(400);
    expect((await api.post("/api/v1/tokens", { name: "x", expiresInDays: -1 })).status).toBe(400);
    const other = await seedUser(db);
    const theirs = await client(a.base, other.token).post("/api/v1/tokens", { name: "theirs" });
    expect((await api.del(`/api/v1/tokens/${theirs.json.id as string}`)).status).toBe(404);
    expect((await api.del("/api/v1/tokens/not-a-token")).status).toBe(404);
  });

  it("stops a revoked token within a second on every gateway process", async () => {
    const created = await client(a.base, user.token).post("/api/v1/tokens", { name: "to revoke" });
    const secret = created.json.token as string;
    for (const gw of [a, b]) expect((await client(gw.base, secret).get("/api/v1/me")).status).toBe(200);
    const revoked = await client(b.base, user.token).del(`/api/v1/tokens/${created.json.id as string}`);
    expect(revoked.status).toBe(204);
    const t0 = Date.now();
    await waitUntil(
      async () =>
        (await client(a.base, secret).get("/api/v1/me")).status === 401 &&
        (await client(b.base, secret).get("/api/v1/me")).status === 401,
      1_000,
      "both gateways to refuse the revoked token",
    );
    expect(Date.now() - t0).toBeLessThan(1_000);
    const listed = (await client(a.base, user.token).get("/api/v1/tokens")).json.items as {
      id: string;
      revokedAt: string | null;
    }[];
    expect(listed.find((t) => t.id === created.json.id)?.revokedAt).not.toBeNull();
  });

  it("answers forged, truncated, expired and cross-site credentials and oversized bodies with a JSON 4xx", async () => {
    const get = (authorization: string) =>
      fetch(`${a.base}/api/v1/sessions`, { headers: { authorization } }).then(async (r) => ({
        status: r.status,
        type: r.headers.get("content-type"),
        body: (await r.json()) as { error: { code: string; message: string } },
      }));
    const created = await client(a.base, user.token).post("/api/v1/tokens", { name: "to expire" });
    const secret = created.json.token as string;
    await db.apiToken.update({
      where: { id: created.json.id as string },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    for (const authorization of [
      "Bearer soma_forged-0123456789abcdef",
      `Bearer ${user.token.slice(0, -4)}`,
      `Bearer ${secret}`, // expired (never used, so not cached)
      "Bearer ",
      "Basic dXNlcjpwYXNz",
    ]) {
      const r = await get(authorization);
      expect(r.status, authorization).toBe(401);
      expect(r.type).toMatch(/^application\/json/);
      expect(r.body.error.code).toBe("unauthorized");
    }

    const big = await fetch(`${a.base}/api/v1/sessions`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
      body: JSON.stringify({ title: "x".repeat(2_000_000) }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");

    const login = await fetch(`${a.base}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: a.base },
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    const noOrigin = await fetch(`${a.base}/api/v1/sessions`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json" },
      body: "{}",
    });
    expect(noOrigin.status).toBe(403);
    expect(((await noOrigin.json()) as { error: { details: unknown } }).error.details).toEqual([
      { field: "origin", message: "missing" },
    ]);
  });
});
