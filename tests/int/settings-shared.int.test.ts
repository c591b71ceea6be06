// Settings as shared state: gateways with separate working directories (as two hosts, or compose
// containers that share no volume) follow one settings document in Postgres. A change on one is in
// effect on the other within a second; provider keys reach the other sealed with SOMA_SETTINGS_KEY
// (never in clear in the database); a settings file edited by hand is imported when its gateway starts.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStubProvider, type StubServer } from "@/server/offline-provider/server";
import { createDb } from "@/lib/server/db";
import { client, seedUser, startGateway, type GatewayProcess, type TestUser } from "../helpers/chat";
import { settings, stopProcess } from "../helpers/services";

const SCOPE = `test-shared-${crypto.randomUUID()}`;
const SECRET = "sk-shared-settings-0123456789abcdef";
const db = createDb(settings().database.url);
let stub: StubServer;
let dir: string;
let admin: TestUser;
const gateways: GatewayProcess[] = [];

type View = { fields: Record<string, { value?: unknown; set?: boolean; source: string | null }> };

/** A gateway in its own directory (its own settings file and key file) on the shared document. */
async function host(name: string) {
  const home = path.join(dir, name);
  fs.mkdirSync(home, { recursive: true });
  const g = await startGateway(stub, {
    SOMA_SETTINGS_FILE: path.join(home, "settings.json"),
    SOMA_SETTINGS_SCOPE: SCOPE,
    SOMA_SETTINGS_KEY: "a-key-every-host-of-this-deployment-has",
  });
  gateways.push(g.gateway);
  return { ...g, home };
}

const view = async (base: string) =>
  (await client(base, admin.token).get("/api/v1/settings")).json as unknown as View;

async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 20));
  }
  return -1;
}

let a: Awaited<ReturnType<typeof host>>;
let b: Awaited<ReturnType<typeof host>>;

beforeAll(async () => {
  stub = await startStubProvider();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "soma-shared-settings-"));
  [a, b] = await Promise.all([host("a"), host("b")]);
  admin = await seedUser(db, "admin", "default");
}, 120_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => stopProcess(g)));
  await stub?.close();
  await db.$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("shared settings", () => {
  it("a change on one gateway is in effect on another with its own directory within a second", async () => {
    const started = Date.now();
    const r = await client(a.base, admin.token).put("/api/v1/settings", { agent: { maxSteps: 7 } });
    expect(r.status).toBe(200);
    const seen = await within(1000, async () => (await view(b.base)).fields["agent.maxSteps"]?.value === 7);
    console.log(
      `shared settings: seen on the other gateway ${seen} ms after the change (${Date.now() - started} ms with the PUT)`,
    );
    expect(seen).toBeGreaterThanOrEqual(0);
    // B's own copy of the document follows too (its file is the import/export format).
    expect(JSON.parse(fs.readFileSync(path.join(b.home, "settings.json"), "utf8"))).toMatchObject({
      agent: { maxSteps: 7 },
    });
    const row = await db.settingsDocument.findUniqueOrThrow({ where: { scope: SCOPE } });
    expect(row.document).toMatchObject({ agent: { maxSteps: 7 } });
  });

  it("provider keys reach the other gateway, sealed in the database", async () => {
    const r = await client(a.base, admin.token).put("/api/v1/settings", {
      speech: { tts: { apiKey: SECRET } },
    });
    expect(r.status).toBe(200);
    expect(
      await within(1000, async () => (await view(b.base)).fields["speech.tts.apiKey"]?.set === true),
    ).toBeGreaterThanOrEqual(0);
    const row = await db.settingsDocument.findUniqueOrThrow({ where: { scope: SCOPE } });
    expect(row.keysSealed).toMatch(/^v1\./);
    expect(JSON.stringify(row)).not.toContain(SECRET);
    expect(JSON.parse(fs.readFileSync(path.join(b.home, "provider-keys.json"), "utf8"))).toEqual({
      "speech.tts": SECRET,
    });
    expect(a.gateway.output() + b.gateway.output()).not.toContain(SECRET);
  });

  it("imports a settings file edited by hand when its gateway starts, and the others follow", async () => {
    const home = path.join(dir, "c");
    fs.mkdirSync(home, { recursive: true });
    const before = await db.settingsDocument.findUniqueOrThrow({ where: { scope: SCOPE } });
    // Written after the stored version: the operator's edit.
    fs.writeFileSync(path.join(home, "settings.json"), JSON.stringify({ agent: { maxSteps: 9 } }));
    await host("c");
    const after = await db.settingsDocument.findUniqueOrThrow({ where: { scope: SCOPE } });
    expect(after.version).toBe(before.version + 1);
    expect(after.document).toEqual({ agent: { maxSteps: 9 } });
    expect(
      await within(3000, async () => (await view(a.base)).fields["agent.maxSteps"]?.value === 9),
    ).toBeGreaterThanOrEqual(0);
    // The keys stay as they were (they are not in the file).
    expect((await view(a.base)).fields["speech.tts.apiKey"]?.set).toBe(true);
  });

  it("refuses a write made from a version that is no longer the newest (409), writing nothing", async () => {
    const { writeStored } = await import("@/lib/settings/store");
    const current = await db.settingsDocument.findUniqueOrThrow({ where: { scope: SCOPE } });
    await expect(
      writeStored(
        db,
        { after: current.version - 1, document: { agent: { maxSteps: 3 } }, by: "test" },
        SCOPE,
      ),
    ).rejects.toMatchObject({ code: "conflict" });
    const unchanged = await db.settingsDocument.findUniqueOrThrow({ where: { scope: SCOPE } });
    expect(unchanged.version).toBe(current.version);
    expect(unchanged.document).toEqual(current.document);
  });
});
