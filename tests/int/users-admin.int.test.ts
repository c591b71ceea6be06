// Tenant admins manage their users on the real gateway: disabling a user or changing their role ends
// what the user already has open (sockets told why and closed within a second, SSE streams ended,
// web sessions over) and their tokens follow at once; members, other tenants and the last admin are
// refused.
import { io } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  client,
  connectChat,
  readSse,
  seedUser,
  startChatStack,
  type ChatClientSocket,
  type ChatStack,
  type TestUser,
} from "../helpers/chat";

let stack: ChatStack;
type Seeded = TestUser & { tenantSlug: string };
let admin: Seeded;

beforeAll(async () => {
  stack = await startChatStack();
  admin = await seedUser(stack.db, "admin");
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

const member = (role: "admin" | "member" = "member", tenantSlug = admin.tenantSlug) =>
  seedUser(stack.db, role, tenantSlug);
const patchUser = (as: TestUser, id: string, body: unknown) =>
  client(stack.base, as.token).patch(`/api/v1/admin/users/${id}`, body);

function login(email: string, password: string) {
  return fetch(`${stack.base}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: stack.base },
    body: JSON.stringify({ email, password }),
  });
}

async function browserSession(user: TestUser): Promise<string> {
  const res = await login(user.email, user.password);
  expect(res.status).toBe(200);
  return (res.headers.get("set-cookie") ?? "").split(";")[0]!;
}

const me = (headers: Record<string, string>) => fetch(`${stack.base}/api/v1/me`, { headers });

/** Resolves with the `auth.revoked` reason and the time until the socket closed, or rejects after 1 s. */
function revokedWithinASecond(socket: ChatClientSocket): Promise<{ reason: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let reason: string | undefined;
    const timer = setTimeout(() => reject(new Error("the socket was still open after 1 s")), 1_000);
    socket.on("auth.revoked", (e) => (reason = e.reason));
    socket.on("disconnect", () => {
      clearTimeout(timer);
      if (reason === undefined) reject(new Error("closed without auth.revoked"));
      else resolve({ reason, ms: Date.now() - started });
    });
  });
}

describe("disabling a user", () => {
  it("closes their open socket and SSE stream within a second, saying why; their token is a 401", async () => {
    const user = await member();
    const sessionId = await client(stack.base, user.token).newSession("open when disabled");
    const sse = await fetch(`${stack.base}/api/v1/sessions/${sessionId}/events`, {
      headers: { authorization: `Bearer ${user.token}`, accept: "text/event-stream" },
    });
    expect(sse.status).toBe(200);
    const socket = await connectChat(stack.base, user.token);
    // A request first, so the token's lookup is cached: disabling must not wait for the cache.
    expect((await me({ authorization: `Bearer ${user.token}` })).status).toBe(200);
    const closed = revokedWithinASecond(socket);

    const started = Date.now();
    const res = await patchUser(admin, user.userId, { disabled: true });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: user.userId, email: user.email, role: "member", disabled: true });
    expect(await closed).toMatchObject({ reason: "Your account was disabled by an admin." });
    const streamEnd = await readSse(sse, () => false, 1_000);
    expect(streamEnd.ended).toBe(true);
    expect(streamEnd.events.at(-1)).toMatchObject({
      type: "auth.revoked",
      reason: "Your account was disabled by an admin.",
    });
    expect(Date.now() - started).toBeLessThan(1_500);

    expect((await me({ authorization: `Bearer ${user.token}` })).status).toBe(401);
    await expect(connectChat(stack.base, user.token)).rejects.toThrow(/unauthorized/);

    // The audit log names who did it and what changed.
    const audit = await client(stack.base, admin.token).get(
      `/api/v1/audit?action=user.update&resource=user:${user.userId}`,
    );
    expect(audit.json.items).toEqual([
      expect.objectContaining({
        actorId: admin.userId,
        outcome: "success",
        details: { email: user.email, changes: { disabled: [false, true] } },
      }),
    ]);
  });

  it("ends their web sessions and refuses their sign-in, saying why only to whoever knows the password", async () => {
    const user = await member();
    const cookie = await browserSession(user);
    const socket: ChatClientSocket = io(`${stack.base}/chat`, {
      extraHeaders: { cookie },
      transports: ["websocket"],
      reconnection: false,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("connect_error", reject);
    });
    const closed = revokedWithinASecond(socket);
    expect((await patchUser(admin, user.userId, { disabled: true })).status).toBe(200);
    expect(await closed).toMatchObject({ reason: "Your account was disabled by an admin." });
    expect((await me({ cookie })).status).toBe(401);

    const right = await login(user.email, user.password);
    expect(right.status).toBe(403);
    expect(right.headers.get("set-cookie")).toBeNull();
    expect(((await right.json()) as { error: { message: string } }).error.message).toMatch(/disabled/);
    const wrong = await login(user.email, "not the password");
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({
      error: { code: "unauthorized", message: "Wrong email or password." },
    });

    // Enabled again: the same token and password work at once.
    const enabled = await patchUser(admin, user.userId, { disabled: false });
    expect(enabled.json).toMatchObject({ disabled: false, disabledAt: null });
    expect((await me({ authorization: `Bearer ${user.token}` })).status).toBe(200);
    expect((await login(user.email, user.password)).status).toBe(200);
  });
});

describe("changing a role", () => {
  it("ends the user's web session and closes its socket; the token carries the new role and its rights", async () => {
    const user = await member();
    const colleague = await member();
    const theirs = await client(stack.base, colleague.token).newSession("a colleague's");
    const asUser = client(stack.base, user.token);
    expect((await asUser.get(`/api/v1/sessions/${theirs}`)).status).toBe(404);

    const cookie = await browserSession(user);
    expect(await (await me({ cookie })).json()).toMatchObject({ role: "member" });
    const socket: ChatClientSocket = io(`${stack.base}/chat`, {
      extraHeaders: { cookie },
      transports: ["websocket"],
      reconnection: false,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("connect_error", reject);
    });
    const closed = revokedWithinASecond(socket);
    const promoted = await patchUser(admin, user.userId, { role: "admin" });
    expect(promoted.status).toBe(200);
    expect(promoted.json).toMatchObject({ role: "admin", disabled: false });
    expect(await closed).toMatchObject({ reason: "Your role changed to admin; sign in again." });
    expect((await me({ cookie })).status).toBe(401);

    // The token is looked up again: the new role, and a tenant admin's view of every session.
    expect(await (await me({ authorization: `Bearer ${user.token}` })).json()).toMatchObject({
      role: "admin",
    });
    expect((await asUser.get(`/api/v1/sessions/${theirs}`)).status).toBe(200);
    expect((await asUser.get("/api/v1/admin/users")).status).toBe(200);

    expect((await patchUser(admin, user.userId, { role: "member" })).status).toBe(200);
    expect((await asUser.get(`/api/v1/sessions/${theirs}`)).status).toBe(404);
    expect((await asUser.get("/api/v1/admin/users")).status).toBe(403);
    expect(await (await me({ cookie: await browserSession(user) })).json()).toMatchObject({
      role: "member",
    });
  });
});

describe("who may change whom", () => {
  it("lists the tenant's users with role and disabled state, for its admins only", async () => {
    const user = await member();
    const outsider = await seedUser(stack.db, "admin");
    const r = await client(stack.base, admin.token).get("/api/v1/admin/users?limit=500");
    expect(r.status).toBe(200);
    const items = r.json.items as { id: string; role: string; disabled: boolean }[];
    expect(items).toContainEqual(
      expect.objectContaining({ id: admin.userId, role: "admin", disabled: false }),
    );
    expect(items).toContainEqual(
      expect.objectContaining({ id: user.userId, role: "member", disabled: false }),
    );
    expect(items.map((u) => u.id)).not.toContain(outsider.userId);

    const paged = await client(stack.base, admin.token).get("/api/v1/admin/users?limit=1");
    expect(paged.json.items).toHaveLength(1);
    const next = await client(stack.base, admin.token).get(
      `/api/v1/admin/users?limit=1&cursor=${encodeURIComponent(paged.json.nextCursor as string)}`,
    );
    expect((next.json.items as { id: string }[])[0]!.id).not.toBe(
      (paged.json.items as { id: string }[])[0]!.id,
    );

    expect((await client(stack.base, user.token).get("/api/v1/admin/users")).status).toBe(403);
    expect(
      (await client(stack.base, admin.token).get("/api/v1/admin/users?limit=0")).json.error,
    ).toMatchObject({
      code: "invalid_request",
      details: [expect.objectContaining({ field: "limit" })],
    });
  });

  it("is in the OpenAPI document", async () => {
    const doc = (await (await fetch(`${stack.base}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, object> };
    };
    expect(doc.paths["/api/v1/admin/users"]).toHaveProperty("get");
    expect(doc.paths["/api/v1/admin/users/{id}"]).toHaveProperty("patch");
    expect(doc.components.schemas.UpdateUser).toMatchObject({
      properties: { role: { enum: ["admin", "member"] }, disabled: { type: "boolean" } },
    });
  });

  it("refuses members (403), and another tenant's user or an unknown id (404), changing nothing", async () => {
    const user = await member();
    const other = await member();
    expect((await patchUser(user, other.userId, { disabled: true })).status).toBe(403);
    expect((await patchUser(user, user.userId, { role: "admin" })).status).toBe(403);

    const outsider = await seedUser(stack.db, "member");
    const cross = await patchUser(admin, outsider.userId, { disabled: true });
    expect(cross.status).toBe(404);
    expect(cross.json.error).toEqual({ code: "not_found", message: "No such user in your tenant." });
    expect((await patchUser(admin, "00000000-0000-4000-8000-000000000000", { disabled: true })).status).toBe(
      404,
    );
    expect((await patchUser(admin, "------------------------------------", { disabled: true })).status).toBe(
      404,
    );

    for (const id of [other.userId, outsider.userId])
      expect(
        await stack.db.user.findUniqueOrThrow({ where: { id }, select: { role: true, disabledAt: true } }),
      ).toEqual({
        role: "member",
        disabledAt: null,
      });
    expect((await me({ authorization: `Bearer ${outsider.token}` })).status).toBe(200);
  });

  it("answers bad input with 400 naming the field", async () => {
    const user = await member();
    const cases: [unknown, string][] = [
      [{ role: "owner" }, "role"],
      [{ disabled: "yes" }, "disabled"],
      [{ disabled: true, tenantId: admin.tenantId }, "(root)"],
      [{}, "(root)"],
    ];
    for (const [body, field] of cases) {
      const r = await patchUser(admin, user.userId, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error?.message).toContain(field);
      expect(r.json.error?.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    }
  });

  it("keeps the tenant's last admin (409), and no admin disables themselves", async () => {
    const first = await seedUser(stack.db, "admin");
    const second = await member("admin", first.tenantSlug);

    const self = await patchUser(first, first.userId, { disabled: true });
    expect(self.status).toBe(409);
    expect(self.json.error?.message).toMatch(/your own account/);

    expect((await patchUser(first, second.userId, { role: "member" })).status).toBe(200);
    const last = await patchUser(first, first.userId, { role: "member" });
    expect(last.status).toBe(409);
    expect(last.json.error?.message).toBe(
      "This is the last admin of the tenant: make another user admin first.",
    );

    // A disabled admin is no admin: with the second disabled, the first is still the last.
    expect((await patchUser(first, second.userId, { role: "admin", disabled: true })).status).toBe(200);
    expect((await patchUser(first, first.userId, { role: "member" })).status).toBe(409);
    expect((await me({ authorization: `Bearer ${first.token}` })).status).toBe(200);

    const denied = await client(stack.base, first.token).get(
      `/api/v1/audit?action=user.update&outcome=denied&resource=user:${first.userId}`,
    );
    expect(denied.json.items).toHaveLength(3);
  });
});
