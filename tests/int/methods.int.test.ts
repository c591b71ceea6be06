// Methods at the edge of the real gateway, from the route contracts: a method a route does not
// declare is a JSON 405 with Allow (TRACE included, which Next would answer with its HTML error page),
// OPTIONS lists the methods, an /api path no route has is a JSON 404, and /api/v1 still asks an
// anonymous caller to sign in first.
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStubProvider, type StubServer } from "@/server/offline-provider/server";
import { createDb } from "@/lib/server/db";
import { seedUser, startGateway, type GatewayProcess, type TestUser } from "../helpers/chat";
import { settings, stopProcess } from "../helpers/services";

const db = createDb(settings().database.url);
let stub: StubServer;
let gw: { gateway: GatewayProcess; base: string };
let user: TestUser;

beforeAll(async () => {
  stub = await startStubProvider();
  gw = await startGateway(stub);
  user = await seedUser(db);
}, 120_000);
afterAll(async () => {
  if (gw) await stopProcess(gw.gateway);
  await stub?.close();
  await db.$disconnect();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Any method, TRACE included (fetch refuses to send it). */
function send(method: string, path: string, token?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${gw.base}${path}`,
      { method, headers: token ? { authorization: `Bearer ${token}` } : {} },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

function expectJsonError(a: Answer, status: number, code: string) {
  expect(a.status).toBe(status);
  expect(a.headers["content-type"]).toMatch(/^application\/json/);
  expect((JSON.parse(a.body) as { error: { code: string } }).error.code).toBe(code);
}

describe("methods a route does not declare", () => {
  it.each([
    ["TRACE", "/api/v1/sessions", "GET, POST, HEAD, OPTIONS"],
    ["PATCH", "/api/v1/me", "GET, HEAD, OPTIONS"],
    ["PUT", "/api/v1/sessions/00000000-0000-4000-8000-000000000000/messages", "POST, OPTIONS"],
    ["DELETE", "/settings_get", "GET, OPTIONS"],
    ["TRACE", "/api/openapi.json", "GET, HEAD, OPTIONS"],
    ["GET", "/api/auth/login", "POST, OPTIONS"],
  ])("%s %s is a JSON 405 with Allow", async (method, path, allow) => {
    const a = await send(method, path, user.token);
    expectJsonError(a, 405, "method_not_allowed");
    expect(a.headers.allow).toBe(allow);
  });

  it("OPTIONS lists the methods", async () => {
    const a = await send("OPTIONS", "/api/v1/memories/00000000-0000-4000-8000-000000000000", user.token);
    expect(a.status).toBe(204);
    expect(a.headers.allow).toBe("GET, PATCH, DELETE, HEAD, OPTIONS");
  });

  it("a declared method still reaches its route", async () => {
    const a = await send("GET", "/api/v1/me", user.token);
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toMatchObject({ userId: user.userId });
  });

  it("an /api path no route has is a JSON 404, whatever the method", async () => {
    expectJsonError(await send("TRACE", "/api/v1/nothing/here", user.token), 404, "not_found");
    expectJsonError(await send("GET", "/api/nothing", user.token), 404, "not_found");
  });

  it("an anonymous caller of /api/v1 is asked to sign in, not told the methods", async () => {
    const a = await send("TRACE", "/api/v1/me");
    expectJsonError(a, 401, "unauthorized");
    expect(a.headers.allow).toBeUndefined();
  });
});
