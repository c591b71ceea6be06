// OpenFGA's answers are kept in each gateway (lib/authz/check-cache.ts): a change must still hold on
// the very next request, on the gateway that made it and on another that had the old answer cached.
// Two gateways on one database, Redis and OpenFGA; the reads that fill the cache go to the second.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  client,
  connectChat,
  emitAck,
  seedUser,
  startChatStack,
  startGateway,
  type ChatStack,
  type GatewayProcess,
  type TestUser,
} from "../helpers/chat";
import { stopProcess, waitUntil } from "../helpers/services";

let stack: ChatStack;
let other: { gateway: GatewayProcess; base: string };
let owner: TestUser & { tenantSlug: string };
let colleague: TestUser;
let admin: TestUser;
let admin2: TestUser;

beforeAll(async () => {
  stack = await startChatStack();
  other = await startGateway(stack.stub);
  owner = await seedUser(stack.db, "member");
  colleague = await seedUser(stack.db, "member", owner.tenantSlug);
  admin = await seedUser(stack.db, "admin", owner.tenantSlug);
  admin2 = await seedUser(stack.db, "admin", owner.tenantSlug);
}, 120_000);

afterAll(async () => {
  if (other) await stopProcess(other.gateway);
  await stack?.close();
});

describe("cached authorization", () => {
  it("an unshare takes effect on the viewer's next message and read, on another gateway too", async () => {
    const sessionId = await client(stack.base, owner.token).newSession("Shared, then not");
    expect(
      (
        await client(stack.base, owner.token).post(`/api/v1/sessions/${sessionId}/share`, {
          userId: colleague.userId,
        })
      ).status,
    ).toBe(200);
    const theirs = client(other.base, colleague.token);
    const socket = await connectChat(other.base, colleague.token);
    try {
      // Read and write answers cached on the other gateway: they may read, not post.
      for (let i = 0; i < 2; i++) {
        expect((await theirs.get(`/api/v1/sessions/${sessionId}`)).status).toBe(200);
        expect(await emitAck(socket, "message.send", { sessionId, content: "may I?" })).toMatchObject({
          ok: false,
          error: { code: "forbidden" },
        });
      }
      const unshared = await client(stack.base, owner.token).del(
        `/api/v1/sessions/${sessionId}/share/${colleague.userId}`,
      );
      expect(unshared.status).toBe(204);
      expect(await emitAck(socket, "message.send", { sessionId, content: "and now?" })).toMatchObject({
        ok: false,
        error: { code: "not_found" },
      });
      expect((await theirs.get(`/api/v1/sessions/${sessionId}`)).status).toBe(404);
      expect((await client(stack.base, colleague.token).get(`/api/v1/sessions/${sessionId}`)).status).toBe(
        404,
      );
    } finally {
      socket.disconnect();
    }
  });

  it("a share takes effect at once where the refusal was cached", async () => {
    const sessionId = await client(stack.base, owner.token).newSession("Not shared, then shared");
    const theirs = client(other.base, colleague.token);
    expect((await theirs.get(`/api/v1/sessions/${sessionId}`)).status).toBe(404);
    expect((await theirs.get(`/api/v1/sessions/${sessionId}`)).status).toBe(404);
    await client(stack.base, owner.token).post(`/api/v1/sessions/${sessionId}/share`, {
      email: colleague.email,
    });
    expect((await theirs.get(`/api/v1/sessions/${sessionId}`)).status).toBe(200);
  });

  it("a tenant admin made member loses the tenant's sessions on their next read", async () => {
    const sessionId = await client(stack.base, owner.token).newSession("Seen by the admin");
    const theirs = client(other.base, admin.token);
    expect((await theirs.get(`/api/v1/sessions/${sessionId}`)).status).toBe(200);
    expect((await theirs.get(`/api/v1/sessions/${sessionId}`)).status).toBe(200);
    const demoted = await client(stack.base, admin2.token).patch(`/api/v1/admin/users/${admin.userId}`, {
      role: "member",
    });
    expect(demoted.status).toBe(200);
    // The change ended their token; signed in again (as member), the session is not theirs to read.
    const login = await fetch(`${other.base}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: other.base },
      body: JSON.stringify({ email: admin.email, password: admin.password }),
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    const read = await fetch(`${other.base}/api/v1/sessions/${sessionId}`, { headers: { cookie } });
    expect(read.status).toBe(404);
    const mine = await fetch(`${other.base}/api/v1/sessions`, { headers: { cookie } });
    expect(mine.status).toBe(200);
  });

  it("a deleted session is gone for its owner on the other gateway at once", async () => {
    const sessionId = await client(stack.base, owner.token).newSession("Deleted");
    const mine = client(other.base, owner.token);
    expect((await mine.get(`/api/v1/sessions/${sessionId}`)).status).toBe(200);
    expect((await client(stack.base, owner.token).del(`/api/v1/sessions/${sessionId}`)).status).toBe(204);
    expect((await mine.get(`/api/v1/sessions/${sessionId}`)).status).toBe(404);
  });

  it("a deleted session takes no message on the other gateway, where its row was kept", async () => {
    const sessionId = await client(stack.base, owner.token).newSession("Deleted while kept");
    const mine = client(other.base, owner.token);
    const send = (content: string) => mine.post(`/api/v1/sessions/${sessionId}/messages`, { content });
    // A message on the other gateway: the session's row and the write answer are kept there.
    expect((await send("[[delay:1]] hello")).status).toBe(202);
    expect((await client(stack.base, owner.token).del(`/api/v1/sessions/${sessionId}`)).status).toBe(204);
    const refused = await send("still there?");
    expect(refused.status).toBe(404);
    expect(await stack.db.message.count({ where: { sessionId, content: "still there?" } })).toBe(0);
  });

  it("a session deleted behind the cache's back gets no turn: the turn's own statement checks its row", async () => {
    const sessionId = await client(stack.base, owner.token).newSession("Deleted by hand");
    const mine = client(other.base, owner.token);
    const send = (content: string) => mine.post(`/api/v1/sessions/${sessionId}/messages`, { content });
    expect((await send("[[delay:1]] hello")).status).toBe(202);
    await waitUntil(
      async () => (await stack.db.turn.count({ where: { sessionId, status: "running" } })) === 0,
      10_000,
      "the first turn to end",
    );
    // Deleted without the announcement (as by hand in SQL): the other gateway still has the row.
    await stack.db.session.update({ where: { id: sessionId }, data: { deletedAt: new Date() } });
    const refused = await send("[[delay:1]] and now?");
    expect(refused.status).toBe(404);
    expect(refused.json.error).toMatchObject({ code: "not_found" });
    expect(await stack.db.turn.count({ where: { sessionId } })).toBe(1);
    expect(await stack.db.message.count({ where: { sessionId, role: "user" } })).toBe(1);
  });
});
