// The audit log through the API: mutations and denials are recorded with actor, request id, IP and
// outcome; tenant admins read it filtered and cursor paged, or export it as NDJSON; members cannot;
// no row ever holds a secret.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, seedUser, startChatStack, type ChatStack, type TestUser } from "../helpers/chat";

let stack: ChatStack;
let admin: TestUser;
let member: TestUser;
let tokenSecret: string;

interface Row {
  id: string;
  action: string;
  outcome: string;
  actorId: string | null;
  resource: string | null;
  requestId: string | null;
  ip: string | null;
  details: unknown;
}

const login = (password: string, email = admin.email) =>
  fetch(`${stack.base}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: stack.base },
    body: JSON.stringify({ email, password }),
  });

beforeAll(async () => {
  stack = await startChatStack();
  admin = await seedUser(stack.db, "admin");
  member = await seedUser(
    stack.db,
    "member",
    (
      await stack.db.tenant.findUniqueOrThrow({
        where: { id: admin.tenantId },
      })
    ).slug,
  );
  const api = client(stack.base, admin.token);
  expect((await login("wrong password")).status).toBe(401);
  expect((await login(admin.password)).status).toBe(200);
  const created = await api.post("/api/v1/tokens", { name: "ci" });
  tokenSecret = created.json.token as string;
  expect((await api.del(`/api/v1/tokens/${created.json.id as string}`)).status).toBe(204);
  const sessionId = await api.newSession("audited");
  expect((await api.del(`/api/v1/sessions/${sessionId}`)).status).toBe(204);
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe("GET /api/v1/audit", () => {
  it("lists the tenant's actions newest first with actor, request id and IP", async () => {
    const r = await client(stack.base, admin.token).get("/api/v1/audit");
    expect(r.status).toBe(200);
    const items = r.json.items as Row[];
    expect(items.map((i) => `${i.action}:${i.outcome}`)).toEqual([
      "session.delete:success",
      "session.create:success",
      "token.revoke:success",
      "token.create:success",
      "auth.login:success",
      "auth.login:denied",
    ]);
    for (const row of items) {
      expect(row.ip).toMatch(/127\.0\.0\.1/);
      expect(row.requestId).toEqual(expect.any(String));
    }
    expect(items.find((i) => i.action === "session.create")?.actorId).toBe(admin.userId);
    expect(items.find((i) => i.outcome === "denied")?.actorId).toBeNull();
  });

  it("never stores a secret: not the new token, not a password", async () => {
    const rows = await stack.db.auditLog.findMany({ where: { tenantId: admin.tenantId } });
    const text = JSON.stringify(rows, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v));
    expect(text).not.toContain(tokenSecret);
    expect(text).not.toContain(admin.password);
    expect(text).not.toContain("wrong password");
  });

  it("filters by action and outcome, and pages with a cursor", async () => {
    const api = client(stack.base, admin.token);
    const denied = await api.get("/api/v1/audit?action=auth.login&outcome=denied");
    expect((denied.json.items as Row[]).map((i) => i.action)).toEqual(["auth.login"]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await api.get(`/api/v1/audit?limit=4${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...(page.json.items as Row[]).map((i) => i.id));
      cursor = page.json.nextCursor as string | null;
    } while (cursor);
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
  });

  it("exports every matching row as NDJSON", async () => {
    const res = await fetch(`${stack.base}/api/v1/audit?format=ndjson`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    expect(res.headers.get("content-disposition")).toMatch(
      /attachment; filename="audit-\d{4}-\d\d-\d\d\.ndjson"/,
    );
    const lines = (await res.text()).trim().split("\n");
    expect(lines).toHaveLength(6);
    expect(lines.map((l) => (JSON.parse(l) as Row).action)[0]).toBe("session.delete");
  });

  it("is for tenant admins only, and rejects bad filters with the field named", async () => {
    const forbidden = await client(stack.base, member.token).get("/api/v1/audit");
    expect(forbidden.status).toBe(403);
    const bad = await client(stack.base, admin.token).get("/api/v1/audit?outcome=maybe");
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json.error?.details)).toContain("outcome");
    const cursor = await client(stack.base, admin.token).get("/api/v1/audit?cursor=abc");
    expect(cursor.status).toBe(400);
  });
});
