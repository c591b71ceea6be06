// Memories over the public API, end to end: a real gateway and executor, the offline provider's
// concept embeddings as the embedding model. Per-user by default, tenant-shared on purpose; who may
// change what; search by words and by meaning; the agent's memory tools on the same rows.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, postMessageSse, readSse, seedUser, startChatStack, type ChatStack } from "../helpers/chat";
import { ROOT } from "../helpers/services";

type Memory = {
  id: string;
  content: string;
  scope: "user" | "tenant";
  canEdit: boolean;
  authorId: string | null;
  savedFrom: { sessionId: string; messageId: string | null } | null;
  score?: number;
};
type Page = { items: Memory[]; nextCursor: string | null; mode: string };

let stack: ChatStack;
let admin: Awaited<ReturnType<typeof seedUser>>;
let member: Awaited<ReturnType<typeof seedUser>>;
let stranger: Awaited<ReturnType<typeof seedUser>>;
let a: ReturnType<typeof client>;
let m: ReturnType<typeof client>;
let s: ReturnType<typeof client>;

beforeAll(async () => {
  stack = await startChatStack((stub) => ({
    SOMA_MODELS_EMBEDDING_PROVIDER: "stub",
    SOMA_MODELS_EMBEDDING_NAME: "stub-embedding",
    SOMA_MODELS_EMBEDDING_BASE_URL: stub.url,
  }));
  admin = await seedUser(stack.db, "admin");
  member = await seedUser(stack.db, "member", admin.tenantSlug);
  stranger = await seedUser(stack.db, "admin"); // another tenant
  a = client(stack.base, admin.token);
  m = client(stack.base, member.token);
  s = client(stack.base, stranger.token);
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

const page = async (c: typeof a, query = "", extra = "") =>
  (await c.get(`/api/v1/memories?query=${encodeURIComponent(query)}${extra}`)).json as unknown as Page;
const save = async (c: typeof a, body: Record<string, unknown>) => {
  const res = await c.post("/api/v1/memories", body);
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json as unknown as Memory;
};

describe("memories API", () => {
  it("keeps a memory its owner's own, and shares one with the tenant only when saved so", async () => {
    const own = await save(m, { content: "My locker code is 4711" });
    const shared = await save(m, { content: "The office wifi is called Orchard", scope: "tenant" });
    expect(own).toMatchObject({ scope: "user", canEdit: true, authorId: member.userId, savedFrom: null });
    expect(shared).toMatchObject({ scope: "tenant", canEdit: true });

    const mine = (await page(m)).items.map((x) => x.id);
    expect(mine).toEqual(expect.arrayContaining([own.id, shared.id]));
    // The admin of the same tenant sees the shared one only; another tenant sees neither.
    const admins = (await page(a)).items;
    expect(admins.map((x) => x.id)).toContain(shared.id);
    expect(admins.map((x) => x.id)).not.toContain(own.id);
    expect((await page(s)).items.map((x) => x.id)).not.toContain(shared.id);
    expect((await a.get(`/api/v1/memories/${own.id}`)).status).toBe(404);
    expect((await a.patch(`/api/v1/memories/${own.id}`, { content: "changed" })).status).toBe(404);
    expect((await a.del(`/api/v1/memories/${own.id}`)).status).toBe(404);
    expect((await s.del(`/api/v1/memories/${shared.id}`)).status).toBe(404);
    // Nor does a search by its words find it for them.
    expect((await page(a, "locker 4711")).items).toEqual([]);
  });

  it("lets the author or an admin change a shared memory, no other member", async () => {
    const shared = await save(a, { content: "Parking is on level 3", scope: "tenant" });
    const seen = (await page(m)).items.find((x) => x.id === shared.id)!;
    expect(seen).toMatchObject({ canEdit: false, savedFrom: null });
    const refused = await m.patch(`/api/v1/memories/${shared.id}`, { content: "Parking is on level 9" });
    expect(refused.status).toBe(403);
    expect((await m.del(`/api/v1/memories/${shared.id}`)).status).toBe(403);
    expect((await a.get(`/api/v1/memories/${shared.id}`)).json).toMatchObject({
      content: "Parking is on level 3",
    });

    const byMember = await save(m, { content: "Lunch is at noon", scope: "tenant" });
    const edited = await m.patch(`/api/v1/memories/${byMember.id}`, { content: "Lunch is at one" });
    expect(edited.json).toMatchObject({ content: "Lunch is at one", scope: "tenant" });
    expect((await a.del(`/api/v1/memories/${byMember.id}`)).status).toBe(204);
    expect((await a.del(`/api/v1/memories/${shared.id}`)).status).toBe(204);
    expect((await m.get(`/api/v1/memories/${byMember.id}`)).status).toBe(404);
  });

  it("finds by meaning as well as by words, with the weight from settings", async () => {
    const car = await save(m, { content: "My car is a blue Volvo" });
    const dog = await save(m, { content: "The puppy is called Rex" });
    // "automobile" shares no word with the car memory: found by meaning (cosine 1/√3 over car,
    // blue, volvo), scored hybridWeight (0.5) × that.
    const byMeaning = await page(m, "automobile");
    expect(byMeaning.mode).toBe("hybrid");
    expect(byMeaning.items.map((x) => x.id)).toEqual([car.id]);
    expect(byMeaning.items[0]!.score).toBeCloseTo(0.5 / Math.sqrt(3), 3);
    // Words and meaning: "dog Rex" has the puppy's meaning (dog ~ puppy: cosine 2/√6 over
    // puppy, called, rex) but not all its words, so it is found by meaning alone; "puppy Rex" has both.
    const meaning = await page(m, "dog Rex");
    expect(meaning.items.map((x) => x.id)).toEqual([dog.id]);
    expect(meaning.items[0]!.score).toBeCloseTo(0.5 * (2 / Math.sqrt(6)), 3);
    const both = await page(m, "puppy Rex");
    expect(both.items[0]!.id).toBe(dog.id);
    expect(both.items[0]!.score).toBeCloseTo(0.5 * 1 + 0.5 * (2 / Math.sqrt(6)), 3);
    // Unrelated words find nothing.
    expect((await page(m, "espresso machine")).items).toEqual([]);
    // An edit re-embeds: the car memory no longer answers "automobile".
    await m.patch(`/api/v1/memories/${car.id}`, { content: "My bicycle is blue" });
    expect((await page(m, "automobile")).items).toEqual([]);
  });

  it("pages with a cursor, newest first, and refuses bad input clearly", async () => {
    const area = `paging${Date.now()}`;
    for (const n of [1, 2, 3]) await save(m, { content: `note number ${n}`, area });
    const first = await page(m, "", `&area=${area}&limit=2`);
    expect(first.items.map((x) => x.content)).toEqual(["note number 3", "note number 2"]);
    const second = await page(m, "", `&area=${area}&limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((x) => x.content)).toEqual(["note number 1"]);
    expect(second.nextCursor).toBeNull();

    const empty = await m.post("/api/v1/memories", { content: "   " });
    expect(empty.status).toBe(400);
    expect(empty.json.error?.message).toMatch(/content/);
    expect((await m.post("/api/v1/memories", { content: "x", scope: "everyone" })).status).toBe(400);
    expect((await m.post("/api/v1/memories", "not json")).status).toBe(400);
    expect((await m.get("/api/v1/memories?cursor=bogus")).status).toBe(400);
    expect((await m.get("/api/v1/memories?limit=500")).status).toBe(400);
    expect((await m.patch(`/api/v1/memories/${first.items[0]!.id}`, {})).status).toBe(400);
    expect((await m.get("/api/v1/memories/not-a-uuid")).status).toBe(404);
  });
});

describe("the memory tools on the same rows", () => {
  it("saves from a conversation with a link back to it, and searches what the API edited", async () => {
    const sessionId = await m.newSession("memory tools");
    const ask = async (content: string) =>
      (
        await readSse(
          await postMessageSse(stack.base, member.token, sessionId, content),
          (e) => e.type === "turn.finished" || e.type === "turn.failed",
        )
      ).events;
    const events = await ask('[[tool:memory_save {"content": "My favourite colour is teal"}]]');
    expect(events.find((e) => e.type === "tool.finished")).toMatchObject({ status: "succeeded" });
    const saved = (await page(m, "favourite colour")).items[0]!;
    expect(saved.content).toBe("My favourite colour is teal");
    const detail = (await m.get(`/api/v1/sessions/${sessionId}`)).json as unknown as {
      messages: { id: string; role: string }[];
    };
    const asked = detail.messages.find((x) => x.role === "user")!;
    expect(saved.savedFrom).toEqual({ sessionId, messageId: asked.id });

    await m.patch(`/api/v1/memories/${saved.id}`, { content: "My favourite colour is orange" });
    const found = await ask('[[tool:memory_search {"query": "orange"}]]');
    const result = found.find((e) => e.type === "tool.finished") as unknown as {
      result: { matches: { id: string; content: string }[] };
    };
    expect(result.result.matches.map((x) => x.id)).toEqual([saved.id]);
  });
});

describe("scripts/memories-reembed.ts", () => {
  it("gives memories without a vector one from the current model, so meaning finds them", async () => {
    // As if saved while the provider was down: no vector.
    const row = await stack.db.memory.create({
      data: { tenantId: member.tenantId, userId: member.userId, content: "My kitten sleeps all day" },
      select: { id: true },
    });
    expect((await page(m, "cat")).items.map((x) => x.id)).not.toContain(row.id);
    const { stdout } = await promisify(execFile)("node", ["--import", "tsx", "scripts/memories-reembed.ts"], {
      cwd: ROOT,
      env: {
        ...process.env,
        SOMA_MODELS_EMBEDDING_PROVIDER: "stub",
        SOMA_MODELS_EMBEDDING_NAME: "stub-embedding",
        SOMA_MODELS_EMBEDDING_BASE_URL: stack.stub.url,
      },
    });
    expect(stdout).toMatch(/done: \d+ memories embedded with stub-embedding/);
    const stored = await stack.db.memory.findUniqueOrThrow({
      where: { id: row.id },
      select: { embeddingModel: true, embedding: true },
    });
    expect(stored.embeddingModel).toBe("stub-embedding");
    expect(stored.embedding).toHaveLength(256);
    expect((await page(m, "cat")).items.map((x) => x.id)).toContain(row.id);
  });
});
