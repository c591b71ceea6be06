// Rate limits on the real Redis: an exact sliding window shared by every process, per user and per
// tenant, 429 with Retry-After and RateLimit-* headers; sign-in attempts slowed, then locked.
import { randomUUID } from "node:crypto";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientMessageKey } from "@/lib/agent/send-once";
import { turnLeaseKey } from "@/lib/agent/turns";
import { hit, rateLimitHeaders } from "@/lib/ratelimit/limiter";
import { afterFailedSignIn, beforeSignIn, LOCK_AFTER, SLOW_AFTER } from "@/lib/auth/login-guard";
import { createDb } from "@/lib/server/db";
import { createRedis } from "@/lib/server/redis";
import { startStubProvider, type StubServer } from "@/server/offline-provider/server";
import { client, connectChat, emitAck, seedUser, startGateway, type GatewayProcess } from "../helpers/chat";
import { ROOT, settings, stopProcess } from "../helpers/services";

const redisA = createRedis(settings().redis.url);
const redisB = createRedis(settings().redis.url); // another gateway process's connection
const db = createDb(settings().database.url);

afterAll(async () => {
  redisA.disconnect();
  redisB.disconnect();
  await db.$disconnect();
});

describe("sliding window", () => {
  it("lets exactly the limit through in a minute, across processes, and says when to retry", async () => {
    const key = { key: `test:${randomUUID()}`, limit: 60 };
    for (let i = 0; i < 60; i++) {
      const r = await hit(i % 2 ? redisA : redisB, [key]);
      expect(r.allowed, `request ${i + 1}`).toBe(true);
      expect(r.remaining).toBe(59 - i);
    }
    const refused = await hit(redisA, [key]);
    expect(refused.allowed).toBe(false);
    expect(refused.resetMs).toBeGreaterThan(55_000);
    const headers = rateLimitHeaders(refused);
    expect(headers["retry-after"]).toMatch(/^\d+$/);
    expect(Number(headers["retry-after"])).toBeLessThanOrEqual(60);
    expect(headers["ratelimit-remaining"]).toBe("0");
    // A refused request is not counted: the window still holds 60.
    expect(await redisA.zcard(`ratelimit:${key.key}`)).toBe(60);
  });

  it("refuses when any of the keys is over (a user within its own limit, the tenant over)", async () => {
    const tenant = { key: `test-tenant:${randomUUID()}`, limit: 3 };
    for (let u = 0; u < 3; u++)
      expect((await hit(redisA, [{ key: `u${u}:${randomUUID()}`, limit: 5 }, tenant])).allowed).toBe(true);
    const user = { key: `u-new:${randomUUID()}`, limit: 5 };
    const refused = await hit(redisA, [user, tenant]);
    expect(refused.allowed).toBe(false);
    expect(refused.remaining).toBe(0);
    expect(await redisA.zcard(`ratelimit:${user.key}`)).toBe(0);
  });

  it("frees the window as time passes", async () => {
    const key = { key: `test:${randomUUID()}`, limit: 2 };
    expect((await hit(redisA, [key], 300)).allowed).toBe(true);
    expect((await hit(redisA, [key], 300)).allowed).toBe(true);
    expect((await hit(redisA, [key], 300)).allowed).toBe(false);
    await new Promise((r) => setTimeout(r, 350));
    expect((await hit(redisA, [key], 300)).allowed).toBe(true);
  });
});

describe("sign-in guard", () => {
  // Addresses here are only labels in Redis keys; no traffic goes to them.
  it(`slows failures after ${SLOW_AFTER} and locks the account for that address after ${LOCK_AFTER}`, async () => {
    const email = `guard-${randomUUID()}@test.local`;
    for (let i = 1; i < SLOW_AFTER; i++) await afterFailedSignIn(redisA, email, "addr-a");
    const t0 = performance.now();
    await afterFailedSignIn(redisA, email, "addr-a");
    expect(performance.now() - t0).toBeGreaterThan(900);
    for (let i = SLOW_AFTER + 1; i <= LOCK_AFTER; i++) await afterFailedSignIn(redisA, email, "addr-a");
    await expect(beforeSignIn(redisA, email, "addr-a")).rejects.toMatchObject({
      code: "rate_limited",
      message: expect.stringMatching(/Too many failed sign-ins/) as string,
    });
    // The owner, from an address that has not failed, is slowed but not locked out.
    const t1 = performance.now();
    await expect(beforeSignIn(redisA, email, "addr-b")).resolves.toBeUndefined();
    expect(performance.now() - t1).toBeGreaterThan(900);
  }, 30_000);
});

describe("limits at the gateway", () => {
  let stub: StubServer;
  let gw: { gateway: GatewayProcess; base: string };

  beforeAll(async () => {
    stub = await startStubProvider();
    gw = await startGateway(stub, { SOMA_CONF_DIR: path.join(ROOT, "tests/fixtures/limits-conf") });
  }, 90_000);

  afterAll(async () => {
    await stopProcess(gw.gateway);
    await stub.close();
  });

  it("answers the message over the limit with 429, Retry-After and RateLimit headers, on REST and socket.io", async () => {
    const user = await seedUser(db);
    const api = client(gw.base, user.token);
    for (let i = 0; i < 3; i++) {
      const id = await api.newSession();
      const ok = await api.post(`/api/v1/sessions/${id}/messages`, { content: `hi ${i}` });
      expect(ok.status).toBe(202);
      expect(ok.headers.get("ratelimit-limit")).toBe("3");
      expect(ok.headers.get("ratelimit-remaining")).toBe(String(2 - i));
    }
    const id = await api.newSession();
    const over = await api.post(`/api/v1/sessions/${id}/messages`, { content: "one too many" });
    expect(over.status).toBe(429);
    expect(over.json.error?.code).toBe("rate_limited");
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(over.headers.get("ratelimit-remaining")).toBe("0");
    const socket = await connectChat(gw.base, user.token);
    try {
      expect(await emitAck(socket, "message.send", { sessionId: id, content: "via socket" })).toMatchObject({
        ok: false,
        error: { code: "rate_limited" },
      });
    } finally {
      socket.disconnect();
    }
    // Nothing was stored for the refused messages.
    expect(await db.message.count({ where: { sessionId: id } })).toBe(0);
  });

  it("counts a message sent again by the same name once; a refused one leaves its name free", async () => {
    const user = await seedUser(db);
    const api = client(gw.base, user.token);
    const socket = await connectChat(gw.base, user.token);
    try {
      const send = async (content: string, clientMessageId: string) => {
        const sessionId = await api.newSession();
        return {
          sessionId,
          reply: await emitAck(socket, "message.send", { sessionId, content, clientMessageId }),
        };
      };
      // One message, as the page sends it through a drain: three times by one name, in one session.
      const name = randomUUID();
      const first = await send("sent three times", name);
      expect(first.reply).toMatchObject({ ok: true });
      for (let i = 0; i < 2; i++) {
        const again = await emitAck(socket, "message.send", {
          sessionId: first.sessionId,
          content: "sent three times",
          clientMessageId: name,
        });
        expect(again).toEqual(first.reply);
      }
      // The limit is 3: two more messages go through, the fourth is refused.
      expect((await send("second", randomUUID())).reply).toMatchObject({ ok: true });
      expect((await send("third", randomUUID())).reply).toMatchObject({ ok: true });
      const refusedName = randomUUID();
      const refused = await send("fourth", refusedName);
      expect(refused.reply).toMatchObject({ ok: false, error: { code: "rate_limited" } });
      // Nothing stored for it, no turn lease taken, and its name is free for the page to send it
      // again later.
      expect(await db.message.count({ where: { sessionId: refused.sessionId } })).toBe(0);
      expect(await redisA.exists(turnLeaseKey(refused.sessionId))).toBe(0);
      expect(await redisA.get(clientMessageKey(refused.sessionId, refusedName))).toBeNull();
      expect(await db.turn.count({ where: { sessionId: first.sessionId } })).toBe(1);
    } finally {
      socket.disconnect();
    }
  });

  it("limits tool invocations per user", async () => {
    const user = await seedUser(db);
    const api = client(gw.base, user.token);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await api.post("/api/v1/tools/nope/invoke", { args: {} })).status);
    // Two unknown-tool 404s are counted, the third call is refused before anything else.
    expect(statuses).toEqual([404, 404, 429]);
  });

  it("limits sign-in attempts per account and address; the owner still signs in from another address", async () => {
    const user = await seedUser(db);
    // From 127.0.0.1 and from 127.0.0.2: two client addresses, both loopback.
    const login = (password: string, from: string) =>
      new Promise<{ status: number; retryAfter: string | undefined }>((resolve, reject) => {
        const body = JSON.stringify({ email: user.email, password });
        const req = http.request(
          `${gw.base}/api/auth/login`,
          { method: "POST", localAddress: from, headers: { "content-type": "application/json" } },
          (res) => {
            res.resume();
            res.on("end", () =>
              resolve({
                status: res.statusCode ?? 0,
                retryAfter: res.headers["retry-after"],
              }),
            );
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    expect((await login(user.password, "127.0.0.1")).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await login("wrong", "127.0.0.1")).status).toBe(401);
    const refused = await login(user.password, "127.0.0.1");
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toMatch(/^\d+$/);
    expect((await login(user.password, "127.0.0.2")).status).toBe(200);
  });
});
