// Authorization by OpenFGA over every way into a session: REST, SSE and socket.io. Another tenant's
// session is a 404 everywhere; a session shared as viewer can be read but not changed (403); a
// tenant admin can read their members' sessions; with OpenFGA unreachable, writes fail closed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  client,
  connectChat,
  emitAck,
  postMessageSse,
  readSse,
  seedUser,
  startChatStack,
  startGateway,
  type ChatStack,
  type TestUser,
} from "../helpers/chat";
import { backfillTuples } from "@/lib/jobs/fga-backfill";
import { connectFga } from "@/lib/server/openfga";
import { freePort, settings, stopProcess } from "../helpers/services";

let stack: ChatStack;
let owner: TestUser & { tenantSlug: string };
let colleague: TestUser; // same tenant, member
let admin: TestUser; // same tenant, admin
let outsider: TestUser; // another tenant
let sessionId: string;

beforeAll(async () => {
  stack = await startChatStack();
  owner = await seedUser(stack.db, "member");
  colleague = await seedUser(stack.db, "member", owner.tenantSlug);
  admin = await seedUser(stack.db, "admin", owner.tenantSlug);
  outsider = await seedUser(stack.db, "admin");
  sessionId = await client(stack.base, owner.token).newSession("Owned by owner");
  const done = await readSse(
    await postMessageSse(stack.base, owner.token, sessionId, "hello"),
    (e) => e.type === "turn.finished",
  );
  expect(done.events.at(-1)?.type).toBe("turn.finished");
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe("another tenant's session", () => {
  it("is a 404 over REST, SSE and socket.io, for reads and writes alike", async () => {
    const api = client(stack.base, outsider.token);
    for (const r of [
      await api.get(`/api/v1/sessions/${sessionId}`),
      await api.get(`/api/v1/sessions/${sessionId}/events`, { accept: "text/event-stream" }),
      await api.post(`/api/v1/sessions/${sessionId}/messages`, { content: "hi" }),
      await api.patch(`/api/v1/sessions/${sessionId}`, { title: "mine now" }),
      await api.post(`/api/v1/sessions/${sessionId}/share`, { userId: outsider.userId }),
      await api.del(`/api/v1/sessions/${sessionId}`),
    ]) {
      expect(r.status).toBe(404);
      expect(r.json.error?.code).toBe("not_found");
    }
    const socket = await connectChat(stack.base, outsider.token);
    try {
      const join = await emitAck(socket, "session.join", { sessionId });
      expect(join).toMatchObject({ ok: false, error: { code: "not_found" } });
      const send = await emitAck(socket, "message.send", { sessionId, content: "hi" });
      expect(send).toMatchObject({ ok: false, error: { code: "not_found" } });
    } finally {
      socket.disconnect();
    }
  });

  it("cannot be shared with a user of another tenant", async () => {
    const r = await client(stack.base, owner.token).post(`/api/v1/sessions/${sessionId}/share`, {
      email: outsider.email,
    });
    expect(r.status).toBe(404);
    expect(r.json.error?.details).toEqual([{ field: "email", message: "no such user in this tenant" }]);
  });
});

describe("a colleague", () => {
  it("cannot see an unshared session (404) until it is shared with them as viewer", async () => {
    const api = client(stack.base, colleague.token);
    expect((await api.get(`/api/v1/sessions/${sessionId}`)).status).toBe(404);
    const list = await api.get("/api/v1/sessions");
    expect((list.json.items as { id: string }[]).map((s) => s.id)).not.toContain(sessionId);

    const shared = await client(stack.base, owner.token).post(`/api/v1/sessions/${sessionId}/share`, {
      email: colleague.email,
    });
    expect(shared.status).toBe(200);
    expect(shared.json).toEqual({ sessionId, userId: colleague.userId, relation: "viewer" });

    const detail = await api.get(`/api/v1/sessions/${sessionId}`);
    expect(detail.status).toBe(200);
    expect(detail.json.access).toBe("viewer");
    expect((detail.json.messages as { content: string }[]).map((m) => m.content)).toContain("hello");
    const after = await api.get("/api/v1/sessions");
    expect(after.json.items).toContainEqual(expect.objectContaining({ id: sessionId, access: "viewer" }));
  });

  it("as viewer reads and follows events but cannot post, rename, delete or share (403)", async () => {
    const api = client(stack.base, colleague.token);
    const events = await fetch(`${stack.base}/api/v1/sessions/${sessionId}/events?after=0`, {
      headers: { authorization: `Bearer ${colleague.token}`, accept: "text/event-stream" },
    });
    expect(events.status).toBe(200);
    const replay = await readSse(events, (e) => e.type === "turn.finished", 10_000);
    expect(replay.events.some((e) => e.type === "turn.finished")).toBe(true);

    for (const r of [
      await api.post(`/api/v1/sessions/${sessionId}/messages`, { content: "may I?" }),
      await api.patch(`/api/v1/sessions/${sessionId}`, { title: "renamed by viewer" }),
      await api.del(`/api/v1/sessions/${sessionId}`),
      await api.post(`/api/v1/sessions/${sessionId}/share`, { userId: admin.userId }),
      await api.post(`/api/v1/sessions/${sessionId}/cancel`),
    ]) {
      expect(r.status).toBe(403);
      expect(r.json.error?.code).toBe("forbidden");
    }

    const socket = await connectChat(stack.base, colleague.token);
    try {
      expect(await emitAck(socket, "session.join", { sessionId })).toMatchObject({ ok: true });
      expect(await emitAck(socket, "message.send", { sessionId, content: "may I?" })).toMatchObject({
        ok: false,
        error: { code: "forbidden" },
      });
    } finally {
      socket.disconnect();
    }
    const owned = await client(stack.base, owner.token).get(`/api/v1/sessions/${sessionId}`);
    expect(owned.json.title).toBe("Owned by owner");
    expect((owned.json.messages as unknown[]).length).toBe(2); // nothing the viewer sent was stored
  });

  it("refusals are in the audit log with the actor and the reason", async () => {
    const audit = await client(stack.base, admin.token).get(
      `/api/v1/audit?outcome=denied&actorId=${colleague.userId}`,
    );
    expect(audit.status).toBe(200);
    const items = audit.json.items as { action: string; resource: string; ip: string; requestId: string }[];
    expect(items.map((i) => i.resource)).toEqual(
      expect.arrayContaining([
        `POST /api/v1/sessions/${sessionId}/messages`,
        `PATCH /api/v1/sessions/${sessionId}`,
        "socket message.send",
      ]),
    );
    expect(items.every((i) => i.action === "request.forbidden")).toBe(true);
    const post = items.find((i) => i.resource.startsWith("POST"));
    expect(post?.ip).toMatch(/127\.0\.0\.1/);
    expect(post?.requestId).toMatch(/^[\w.-]+$/);
  });
});

describe("unsharing", () => {
  it("lists who a session is shared with (owner only) and takes access away at once", async () => {
    const mine = client(stack.base, owner.token);
    const list = await mine.get(`/api/v1/sessions/${sessionId}/share`);
    expect(list.status).toBe(200);
    expect(list.json.items).toEqual([{ userId: colleague.userId, email: colleague.email }]);
    expect(
      (await client(stack.base, colleague.token).get(`/api/v1/sessions/${sessionId}/share`)).status,
    ).toBe(403);

    expect((await mine.del(`/api/v1/sessions/${sessionId}/share/${colleague.userId}`)).status).toBe(204);
    expect((await mine.get(`/api/v1/sessions/${sessionId}/share`)).json.items).toEqual([]);
    const theirs = client(stack.base, colleague.token);
    expect((await theirs.get(`/api/v1/sessions/${sessionId}`)).status).toBe(404);
    expect((await theirs.get("/api/v1/sessions")).json.items).toEqual([]);
    const socket = await connectChat(stack.base, colleague.token);
    try {
      expect(await emitAck(socket, "session.join", { sessionId })).toMatchObject({
        ok: false,
        error: { code: "not_found" },
      });
    } finally {
      socket.disconnect();
    }
    const audit = await stack.db.auditLog.findFirst({
      where: { action: "session.unshare", resource: `session:${sessionId}` },
    });
    expect(audit?.details).toEqual({ unsharedWith: colleague.userId });
  });
});

describe("a tenant admin", () => {
  it("can read members' sessions but not write to them", async () => {
    const api = client(stack.base, admin.token);
    const r = await api.get(`/api/v1/sessions/${sessionId}`);
    expect(r.status).toBe(200);
    expect(r.json.access).toBe("viewer");
    expect((await api.post(`/api/v1/sessions/${sessionId}/messages`, { content: "x" })).status).toBe(403);
  });
});

describe("sessions from before OpenFGA", () => {
  it("are reachable again once the migration job has written their tuples", async () => {
    const old = await stack.db.session.create({
      data: { tenantId: owner.tenantId, ownerId: owner.userId, title: "made before authorization" },
      select: { id: true },
    });
    const api = client(stack.base, owner.token);
    expect((await api.get(`/api/v1/sessions/${old.id}`)).status).toBe(404); // no tuple: not visible
    const { client: fgaClient } = await connectFga(settings().openfga.apiUrl, settings().openfga.storeName);
    const r = await backfillTuples(stack.db, fgaClient);
    expect(r.sessions).toBeGreaterThan(0);
    expect((await api.get(`/api/v1/sessions/${old.id}`)).status).toBe(200);
    expect((await api.post(`/api/v1/sessions/${old.id}/share`, { email: colleague.email })).status).toBe(200);
    await backfillTuples(stack.db, fgaClient); // again: nothing breaks
  }, 120_000);
});

describe("when OpenFGA is unreachable", () => {
  it("writes fail closed (503) and only the owner can still read, from Postgres", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const gw = await startGateway(stack.stub, { OPENFGA_API_URL: dead });
    try {
      const api = client(gw.base, owner.token);
      const post = await api.post(`/api/v1/sessions/${sessionId}/messages`, { content: "while down" });
      expect(post.status).toBe(503);
      expect(post.json.error?.code).toBe("unavailable");
      expect(post.headers.get("retry-after")).toBe("5");
      expect((await api.post("/api/v1/sessions", { title: "new while down" })).status).toBe(503);
      expect((await api.get(`/api/v1/sessions/${sessionId}`)).status).toBe(200);
      expect((await client(gw.base, colleague.token).get(`/api/v1/sessions/${sessionId}`)).status).toBe(503);
      const list = await api.get("/api/v1/sessions");
      expect((list.json.items as { title: string }[]).map((s) => s.title)).toContain("Owned by owner");
      // Shares need OpenFGA: the colleague's list shows only what they own (nothing) until it is back.
      const theirs = await client(gw.base, colleague.token).get("/api/v1/sessions");
      expect(theirs.status).toBe(200);
      expect(theirs.json.items).toEqual([]);
    } finally {
      await stopProcess(gw.gateway);
    }
    const rows = await stack.db.session.count({ where: { ownerId: owner.userId, title: "new while down" } });
    expect(rows).toBe(0); // the refused create left nothing behind
  });
});
