// Request bodies and identifiers at the edge of the real gateway: a huge chunked body (no
// Content-Length) is cut off with 413 without the gateway buffering it, on the sign-in route, on a
// message (which the gateway reads itself, not Next) and on the internal callback before its
// signature is checked; a malformed session cookie is a 401; an id that
// only looks like a UUID is a 404 before it reaches Postgres.
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStubProvider, type StubServer } from "@/server/offline-provider/server";
import { createDb } from "@/lib/server/db";
import { client, seedUser, startGateway, type GatewayProcess, type TestUser } from "../helpers/chat";
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

/** Streams up to `totalBytes` as a chunked body until the server answers; the status it answered with. */
function chunkedPost(
  path: string,
  totalBytes: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; sentBytes: number }> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    let answered = false;
    const req = http.request(`${gw.base}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "transfer-encoding": "chunked",
        origin: gw.base,
        ...headers,
      },
    });
    req.on("response", (res) => {
      answered = true;
      res.resume();
      resolve({ status: res.statusCode ?? 0, sentBytes: sent });
      req.destroy();
    });
    req.on("error", (err) => (answered ? undefined : reject(err)));
    const pump = () => {
      while (!answered && sent < totalBytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      if (!answered) req.end();
    };
    req.write("[");
    pump();
  });
}

async function gatewayRss(): Promise<number> {
  const text = await (await fetch(`${gw.base}/metrics`)).text();
  return Number(/^somaagent_process_resident_memory_bytes (\d+)/m.exec(text)![1]);
}

describe("request bodies", () => {
  it("cuts a 50 MB chunked body off with 413 on sign-in, on a message and on the internal callback, without buffering it", async () => {
    const sessionId = await client(gw.base, user.token).newSession();
    const before = await gatewayRss();
    const auth = { authorization: `Bearer ${user.token}` };
    for (const [path, headers] of [
      ["/api/auth/login", {}],
      [`/api/v1/sessions/${sessionId}/messages`, auth],
      ["/api/internal/tool-results", {}],
    ] as const) {
      const r = await chunkedPost(path, 50 * 1024 * 1024, headers);
      expect(r.status, path).toBe(413);
      expect(r.sentBytes, path).toBeLessThan(50 * 1024 * 1024); // answered before the end
    }
    expect((await gatewayRss()) - before).toBeLessThan(20 * 1024 * 1024);
  }, 60_000);
});

describe("identifiers and credentials", () => {
  it("answers a malformed session cookie with 401, not 503", async () => {
    const r = await fetch(`${gw.base}/api/v1/me`, { headers: { cookie: "soma_session=%zz%" } });
    expect(r.status).toBe(401);
  });

  it("answers ids that only look like UUIDs with 404 before Postgres sees them", async () => {
    const api = client(gw.base, user.token);
    const fake = "-".repeat(36);
    expect((await api.get(`/api/v1/sessions/${fake}`)).status).toBe(404);
    expect((await api.del(`/api/v1/tokens/${fake}`)).status).toBe(404);
    const id = await api.newSession();
    expect((await api.del(`/api/v1/sessions/${id}/share/${fake}`)).status).toBe(404);
  });
});
