// Maintenance mode against a real gateway: only admins of the deployment's tenant switch it (others
// are refused and audited); while on, every open page hears it at once and a new page is rendered
// with it, new turns and voice calls get 503 `maintenance` with Retry-After while a running turn
// finishes, /readyz says `draining`; off again, turns start. `make maintenance` takes the same path.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MaintenanceView, SystemServerEvents } from "@/lib/maintenance/view";
import { createRedis } from "@/lib/server/redis";
import { MAINTENANCE_KEY } from "@/lib/maintenance/state";
import {
  client,
  connectChat,
  emitAck,
  postMessageSse,
  readSse,
  seedUser,
  startChatStack,
  type ChatStack,
  type TestUser,
} from "../helpers/chat";
import { VoiceTestClient, voiceEnv } from "../helpers/voice-client";
import { ROOT, settings, waitUntil } from "../helpers/services";

const run = promisify(execFile);
const PATH = "/api/v1/admin/maintenance";

let stack: ChatStack;
let admin: TestUser;
let member: TestUser;
let outsider: TestUser;
const redis = createRedis(settings().redis.url);

beforeAll(async () => {
  await redis.del(MAINTENANCE_KEY);
  stack = await startChatStack((stub) => voiceEnv(stub.url));
  admin = await seedUser(stack.db, "admin", settings().tenancy.defaultTenant);
  member = await seedUser(stack.db, "member", settings().tenancy.defaultTenant);
  outsider = await seedUser(stack.db, "admin");
}, 120_000);

afterAll(async () => {
  await redis.del(MAINTENANCE_KEY);
  redis.disconnect();
  await stack?.close();
});

const inAMinute = () => new Date(Date.now() + 60_000).toISOString();

/** A page's /system socket: every maintenance view it is pushed, in order. */
async function openPage(token: string) {
  const socket: Socket<SystemServerEvents> = io(`${stack.base}/system`, {
    auth: { token },
    transports: ["websocket"],
    reconnection: false,
  });
  const seen: MaintenanceView[] = [];
  socket.on("maintenance", (v) => seen.push(v));
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
  // The state on connect comes first.
  await waitUntil(async () => seen.length > 0, 5_000, "the state on connect");
  return {
    socket,
    seen,
    next: async (pred: (v: MaintenanceView) => boolean, what: string) => {
      await waitUntil(async () => seen.some(pred), 5_000, what);
      return seen.find(pred)!;
    },
  };
}

describe("maintenance mode", () => {
  it("is switched only by admins of the deployment's tenant; refusals are audited", async () => {
    expect((await client(stack.base, member.token).get(PATH)).json).toEqual({
      active: false,
      message: null,
      since: null,
      until: null,
    });
    for (const who of [member, outsider]) {
      const r = await client(stack.base, who.token).post(PATH, { message: "not mine to say" });
      expect(r.status).toBe(403);
      expect(r.json.error?.message).toMatch(/only admins of the "default" organisation/);
      expect((await client(stack.base, who.token).del(PATH)).status).toBe(403);
    }
    const denied = await stack.db.auditLog.findMany({
      where: { actorId: outsider.userId, action: "request.forbidden" },
      select: { resource: true },
    });
    expect(denied.map((d) => d.resource)).toEqual(expect.arrayContaining([`POST ${PATH}`, `DELETE ${PATH}`]));
    expect((await client(stack.base, "soma_not-a-token").post(PATH, { message: "x" })).status).toBe(401);
    expect((await client(stack.base, admin.token).get(PATH)).json.active).toBe(false);
  });

  it("refuses a bad body naming the field", async () => {
    const api = client(stack.base, admin.token);
    const past = await api.post(PATH, { message: "x", until: new Date(Date.now() - 1000).toISOString() });
    expect(past.status).toBe(400);
    expect(past.json.error?.details).toEqual([{ field: "until", message: "must be in the future" }]);
    const empty = await api.post(PATH, { message: "   " });
    expect(empty.status).toBe(400);
    expect(empty.json.error?.message).toMatch(/message/);
    const extra = await api.post(PATH, { message: "x", reason: "y" });
    expect(extra.status).toBe(400);
    expect((await api.get(PATH)).json.active).toBe(false);
  });

  it("while on: pages hear it, new turns and calls get 503, a running turn finishes, /readyz drains", async () => {
    const api = client(stack.base, admin.token);
    const page = await openPage(member.token);
    const sessionId = await api.newSession();
    const running = await postMessageSse(
      stack.base,
      admin.token,
      sessionId,
      "[[delay:150]] one two three four five six seven eight nine ten",
    );
    expect(running.status).toBe(200);
    const voice = new VoiceTestClient(stack.base, member.token);
    const memberSession = await client(stack.base, member.token).newSession();
    try {
      expect(page.seen[0]).toMatchObject({ active: false });
      const until = inAMinute();
      const on = await api.post(PATH, { message: "Upgrading the database", until });
      expect(on.status).toBe(200);
      expect(on.json).toMatchObject({ active: true, message: "Upgrading the database", until });

      // Every open page, at once; a page loaded now is rendered with it.
      await page.next((v) => v.active && v.message === "Upgrading the database", "the pushed state");
      const html = await (await fetch(`${stack.base}/login`)).text();
      expect(html).toContain('data-testid="maintenance-banner"');
      expect(html).toContain("Upgrading the database");

      // New turns: HTTP and socket alike.
      const other = await api.newSession();
      const refused = await api.post(`/api/v1/sessions/${other}/messages`, { content: "hello" });
      expect(refused.status).toBe(503);
      expect(refused.json.error).toMatchObject({
        code: "maintenance",
        details: { message: "Upgrading the database", until },
      });
      expect(refused.json.error?.message).toContain("Upgrading the database");
      const retryAfter = Number(refused.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      const chat = await connectChat(stack.base, admin.token);
      try {
        const viaSocket = await emitAck(chat, "message.send", { sessionId: other, content: "hello" });
        expect(viaSocket).toMatchObject({ ok: false, error: { code: "maintenance" } });
      } finally {
        chat.disconnect();
      }
      // New voice calls.
      const call = await voice.call("voice.start", { sessionId: memberSession });
      expect(call).toMatchObject({ ok: false, error: { code: "maintenance" } });

      // The running turn finishes.
      const { events } = await readSse(
        running,
        (e) => e.type.startsWith("turn.") && e.type !== "turn.started",
      );
      expect(events.at(-1)?.type).toBe("turn.finished");

      const ready = await fetch(`${stack.base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({
        status: "draining",
        maintenance: { message: "Upgrading the database", until },
      });
      expect((await fetch(`${stack.base}/healthz`)).status).toBe(200);

      // Off: pages hear it, turns start again, ready again.
      const off = await api.del(PATH);
      expect(off.status).toBe(200);
      expect(off.json).toMatchObject({ active: false });
      await page.next((v) => !v.active && page.seen.indexOf(v) > 0, "the pushed end");
      const again = await api.post(`/api/v1/sessions/${other}/messages`, { content: "hello again" });
      expect(again.status).toBe(202);
      expect((await fetch(`${stack.base}/readyz`)).status).toBe(200);
      expect(await (await fetch(`${stack.base}/login`)).text()).not.toContain("maintenance-banner");

      const audited = await stack.db.auditLog.findMany({
        where: { actorId: admin.userId, action: { startsWith: "maintenance." } },
        orderBy: { createdAt: "asc" },
        select: { action: true, outcome: true, details: true },
      });
      expect(audited).toEqual([
        {
          action: "maintenance.start",
          outcome: "success",
          details: { message: "Upgrading the database", until },
        },
        { action: "maintenance.end", outcome: "success", details: { wasActive: true } },
      ]);
    } finally {
      page.socket.disconnect();
      voice.socket.disconnect();
    }
  });

  it("ends by itself at `until`", async () => {
    const api = client(stack.base, admin.token);
    const until = new Date(Date.now() + 1_500).toISOString();
    expect((await api.post(PATH, { message: "A short one", until })).status).toBe(200);
    expect((await api.get(PATH)).json.active).toBe(true);
    await waitUntil(async () => (await api.get(PATH)).json.active === false, 10_000, "the expiry");
    expect((await fetch(`${stack.base}/readyz`)).status).toBe(200);
  });

  it("`make maintenance on|off` switches it through the same path, and pages hear it", async () => {
    const page = await openPage(member.token);
    const env = { ...process.env, MESSAGE: "Switched from the shell", UNTIL: inAMinute() };
    const sessionId = await client(stack.base, admin.token).newSession();
    try {
      // A turn started (and over) before: the gateway has read the state, "off".
      const before = await postMessageSse(stack.base, admin.token, sessionId, "[[delay:1]] a");
      expect(before.status).toBe(200);
      await readSse(before, (e) => e.type === "turn.finished");
      const on = await run("npx", ["tsx", "scripts/maintenance.ts", "on"], { cwd: ROOT, env });
      expect(on.stdout).toMatch(/^maintenance: ON since .* until .*: Switched from the shell$/m);
      await page.next((v) => v.message === "Switched from the shell", "the state set from the shell");
      const api = client(stack.base, admin.token);
      expect((await api.get(PATH)).json).toMatchObject({ active: true, message: "Switched from the shell" });
      // The gateway keeps the state in the process (it had "off" from the message before): the
      // announcement from the shell's process changes it for the very next message.
      const refused = await api.post(`/api/v1/sessions/${sessionId}/messages`, { content: "[[delay:1]] b" });
      expect(refused.status).toBe(503);
      expect(refused.json.error).toMatchObject({ code: "maintenance" });
      const off = await run("npx", ["tsx", "scripts/maintenance.ts", "off"], { cwd: ROOT, env });
      expect(off.stdout).toContain("maintenance: off");
      expect((await api.get(PATH)).json.active).toBe(false);
      expect(
        (await api.post(`/api/v1/sessions/${sessionId}/messages`, { content: "[[delay:1]] c" })).status,
      ).toBe(202);
      const bad = await run("npx", ["tsx", "scripts/maintenance.ts", "on"], {
        cwd: ROOT,
        env: { ...env, UNTIL: "tomorrow" },
      }).catch((err: { code: number; stderr: string }) => err);
      expect(bad).toMatchObject({ code: 1 });
      expect((bad as { stderr: string }).stderr).toMatch(/until/);
      const rows = await stack.db.auditLog.findMany({
        where: { actorType: "system", action: { startsWith: "maintenance." } },
        orderBy: { createdAt: "desc" },
        take: 2,
        select: { action: true, details: true },
      });
      expect(rows.map((r) => r.action)).toEqual(["maintenance.end", "maintenance.start"]);
      expect(rows[1]!.details).toMatchObject({ via: "make maintenance", message: "Switched from the shell" });
    } finally {
      page.socket.disconnect();
    }
  });
});
