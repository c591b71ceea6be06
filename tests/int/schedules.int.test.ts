// Schedules end to end: the API (validation naming the field, who may see and change what), and real
// scheduler processes starting real agent turns (the test provider answers "Echo: <prompt>"): run
// now, the clock, a fire missed while no scheduler ran, two schedulers side by side, a killed one.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, seedUser, startChatStack, type ChatStack, type TestUser } from "../helpers/chat";
import { startScheduler, stopProcess, type SchedulerProcess } from "../helpers/scheduler";
import { waitUntil } from "../helpers/services";

let stack: ChatStack;
let alice: TestUser; // admin of tenant A
let carol: TestUser; // member of tenant A
let bob: TestUser; // admin of tenant B
let api: ReturnType<typeof client>;
let scheduler: SchedulerProcess | undefined;

type Run = {
  id: string;
  status: string;
  turnId: string | null;
  sessionId: string | null;
  error: string | null;
  attempts: number;
  manual: boolean;
  dueAt: string;
};
type Detail = {
  title: string;
  messages: { role: string; content: string; turnId: string | null; complete: boolean }[];
  turns: { id: string; status: string }[];
};

beforeAll(async () => {
  stack = await startChatStack();
  const a = await seedUser(stack.db, "admin");
  alice = a;
  carol = await seedUser(stack.db, "member", a.tenantSlug);
  bob = await seedUser(stack.db, "admin");
  api = client(stack.base, alice.token);
}, 180_000);

afterAll(async () => {
  if (scheduler) await stopProcess(scheduler);
  await stack?.close();
});

const schedule = (body: Record<string, unknown>, who = api) =>
  who.post("/api/v1/schedules", { name: "Daily", prompt: "hello", cron: "0 9 * * 1-5", ...body });

async function runs(id: string): Promise<Run[]> {
  return (await api.get(`/api/v1/schedules/${id}/runs`)).json.items as Run[];
}

async function finishedRun(id: string, timeoutMs = 30_000): Promise<Run> {
  let run: Run | undefined;
  await waitUntil(
    async () => {
      run = (await runs(id)).find((r) => r.status === "succeeded" || r.status === "failed");
      return Boolean(run);
    },
    timeoutMs,
    "a run to finish",
  );
  return run!;
}

async function sessionDetail(id: string): Promise<Detail> {
  return (await api.get(`/api/v1/sessions/${id}`)).json as unknown as Detail;
}

describe("the schedules API", () => {
  it("creates, reads, lists, changes and deletes, with the timing in words and the next run", async () => {
    const created = await schedule({ timezone: "Europe/Berlin" });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    expect(created.headers.get("location")).toBe(`/api/v1/schedules/${id}`);
    expect(created.json).toMatchObject({
      name: "Daily",
      description: "every weekday at 09:00 Europe/Berlin",
      enabled: true,
      sessionId: null,
      ownerId: alice.userId,
      lastRun: null,
    });
    const next = new Date(created.json.nextRunAt as string);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect([7, 8]).toContain(next.getUTCHours()); // 09:00 in Berlin, summer or winter

    expect((await api.get(`/api/v1/schedules/${id}`)).json.id).toBe(id);
    const list = (await api.get("/api/v1/schedules")).json.items as { id: string }[];
    expect(list.map((s) => s.id)).toContain(id);

    const off = await api.patch(`/api/v1/schedules/${id}`, { enabled: false });
    expect(off.status).toBe(200);
    expect(off.json).toMatchObject({ enabled: false, nextRunAt: null });
    const retimed = await api.patch(`/api/v1/schedules/${id}`, { cron: "*/5 * * * *", enabled: true });
    expect(retimed.json).toMatchObject({ description: "every 5 minutes Europe/Berlin", enabled: true });
    expect(new Date(retimed.json.nextRunAt as string).getTime()).toBeLessThanOrEqual(Date.now() + 5 * 60_000);

    expect((await api.del(`/api/v1/schedules/${id}`)).status).toBe(204);
    expect((await api.get(`/api/v1/schedules/${id}`)).status).toBe(404);
  });

  it("refuses a bad cron expression, time zone, timing or session with a 400 naming the field", async () => {
    const field = (r: Awaited<ReturnType<typeof schedule>>) =>
      (r.json.error?.details as { field: string }[] | undefined)?.map((d) => d.field);
    const badCron = await schedule({ cron: "0 25 * * *" });
    expect(badCron.status).toBe(400);
    expect(field(badCron)).toEqual(["cron"]);
    expect(badCron.json.error?.message).toMatch(/cron/);
    const fourFields = await schedule({ cron: "0 9 * *" });
    expect(fourFields.status).toBe(400);
    expect(field(fourFields)).toEqual(["cron"]);
    const badZone = await schedule({ timezone: "Mars/Olympus" });
    expect(badZone.status).toBe(400);
    expect(field(badZone)).toEqual(["timezone"]);
    const both = await schedule({ runAt: new Date(Date.now() + 60_000).toISOString() });
    expect(both.status).toBe(400);
    expect(field(both)).toEqual(["cron"]);
    expect(both.json.error?.message).toMatch(/not both/);
    const neither = await schedule({ cron: null });
    expect(neither.status).toBe(400);
    expect(field(neither)).toEqual(["cron"]);
    expect(neither.json.error?.message).toMatch(/a schedule needs one/);
    const past = await schedule({ cron: null, runAt: "2020-01-01T00:00:00Z" });
    expect(past.status).toBe(400);
    expect(field(past)).toEqual(["runAt"]);
    const empty = await schedule({ prompt: "  " });
    expect(field(empty)).toEqual(["prompt"]);
    // Another tenant's session, and one shared nobody: not a session Alice may post into.
    const bobsSession = await client(stack.base, bob.token).newSession();
    const foreign = await schedule({ sessionId: bobsSession });
    expect(foreign.status).toBe(400);
    expect(field(foreign)).toEqual(["sessionId"]);
    const carolsSession = await client(stack.base, carol.token).newSession();
    expect(field(await schedule({ sessionId: carolsSession }))).toEqual(["sessionId"]);
    expect((await api.get("/api/v1/schedules")).json.items).not.toContainEqual(
      expect.objectContaining({ cron: "0 25 * * *" }),
    );
  });

  it("the owner and the tenant's admins manage a schedule; other members and tenants do not see it", async () => {
    const asCarol = client(stack.base, carol.token);
    const asBob = client(stack.base, bob.token);
    const carols = await schedule({ name: "Carol's" }, asCarol);
    expect(carols.status).toBe(201);
    const alices = await schedule({ name: "Alice's" });
    const cid = carols.json.id as string;
    const aid = alices.json.id as string;

    // Carol, a member, sees only her own; Alice, an admin, sees both and may change Carol's.
    const carolList = (await asCarol.get("/api/v1/schedules")).json.items as { id: string }[];
    expect(carolList.map((s) => s.id)).toEqual([cid]);
    expect((await asCarol.get(`/api/v1/schedules/${aid}`)).status).toBe(404);
    expect((await asCarol.patch(`/api/v1/schedules/${aid}`, { enabled: false })).status).toBe(404);
    expect((await asCarol.post(`/api/v1/schedules/${aid}/run`)).status).toBe(404);
    expect((await asCarol.del(`/api/v1/schedules/${aid}`)).status).toBe(404);
    const aliceList = (await api.get("/api/v1/schedules")).json.items as { id: string }[];
    expect(aliceList.map((s) => s.id)).toEqual(expect.arrayContaining([cid, aid]));
    expect((await api.patch(`/api/v1/schedules/${cid}`, { name: "Carol's (checked)" })).status).toBe(200);

    // Another tenant's admin: nothing, not even whether it exists.
    expect((await asBob.get(`/api/v1/schedules/${cid}`)).status).toBe(404);
    expect((await asBob.get(`/api/v1/schedules/${cid}/runs`)).status).toBe(404);
    expect(((await asBob.get("/api/v1/schedules")).json.items as unknown[]).length).toBe(0);
    expect((await api.get("/api/v1/schedules/not-a-uuid")).status).toBe(404);
    expect((await client(stack.base, "soma_bogus").get("/api/v1/schedules")).status).toBe(401);
  });

  it("is in the OpenAPI document", async () => {
    const doc = (await (await fetch(`${stack.base}/api/openapi.json`)).json()) as {
      paths: Record<string, object>;
      components: { schemas: Record<string, object> };
    };
    for (const p of ["", "/{id}", "/{id}/run", "/{id}/runs"])
      expect(doc.paths).toHaveProperty([`/api/v1/schedules${p}`]);
    expect(doc.components.schemas.CreateSchedule).toMatchObject({ required: ["name", "prompt"] });
  });
});

describe("the scheduler", () => {
  it("run now: a turn as the owner whose answer is in the schedule's session", async () => {
    scheduler = await startScheduler(stack.stub);
    const sessionId = await api.newSession("Reports");
    const s = await schedule({ sessionId, prompt: "report on the weather" });
    const id = s.json.id as string;
    const queued = await api.post(`/api/v1/schedules/${id}/run`);
    expect(queued.status).toBe(202);
    expect(queued.json).toMatchObject({ status: "queued", manual: true });

    const run = await finishedRun(id);
    expect(run).toMatchObject({ status: "succeeded", sessionId, attempts: 1, error: null });
    const detail = await sessionDetail(sessionId);
    const answer = detail.messages.find((m) => m.role === "assistant" && m.turnId === run.turnId);
    expect(answer).toMatchObject({ content: "Echo: report on the weather", complete: true });
    expect(detail.messages.find((m) => m.role === "user" && m.turnId === run.turnId)?.content).toBe(
      "report on the weather",
    );
    expect((await api.get(`/api/v1/schedules/${id}`)).json.lastRun).toMatchObject({ id: run.id });
  }, 60_000);

  it("a start refused for a passing reason is retried with backoff, then runs", async () => {
    const sessionId = await api.newSession("Busy");
    // A typed message's long turn holds the session: the schedule's turn cannot start yet.
    const typed = await api.post(`/api/v1/sessions/${sessionId}/messages`, { content: "[[slow]] busy" });
    expect(typed.status).toBe(202);
    const s = await schedule({ name: "Busy", sessionId, prompt: "after you" });
    const id = s.json.id as string;
    await api.post(`/api/v1/schedules/${id}/run`);
    await waitUntil(
      async () =>
        (await runs(id)).some((r) => r.status === "queued" && /already running/.test(r.error ?? "")),
      30_000,
      "the first start to be refused",
    );
    expect((await api.post(`/api/v1/sessions/${sessionId}/cancel`, {})).status).toBe(202);
    const run = await finishedRun(id);
    expect(run.status).toBe("succeeded");
    expect(run.attempts).toBeGreaterThanOrEqual(2);
    const detail = await sessionDetail(sessionId);
    expect(detail.messages.find((m) => m.turnId === run.turnId && m.role === "assistant")?.content).toBe(
      "Echo: after you",
    );
  }, 60_000);

  it("every minute on the clock: a new session per run, named after the schedule", async () => {
    const s = await schedule({ name: "Minutely", cron: "* * * * *", prompt: "tick tock" });
    const id = s.json.id as string;
    // The minute comes (rather than waiting for it): the schedule is due now.
    await stack.db.schedule.update({ where: { id }, data: { nextRunAt: new Date(Date.now() - 1_000) } });
    const run = await finishedRun(id);
    expect(run).toMatchObject({ status: "succeeded", manual: false });
    const detail = await sessionDetail(run.sessionId!);
    expect(detail.title).toBe("Minutely");
    expect(detail.messages.map((m) => m.content)).toEqual(["tick tock", "Echo: tick tock"]);
    const after = (await api.get(`/api/v1/schedules/${id}`)).json;
    expect(new Date(after.nextRunAt as string).getTime()).toBeGreaterThan(Date.now());
    await api.patch(`/api/v1/schedules/${id}`, { enabled: false });
  }, 60_000);

  it("a fire missed while no scheduler ran runs once at start-up, even with two schedulers", async () => {
    await stopProcess(scheduler!);
    // Yearly, so that no fire falls due on its own while the test runs (an every-minute schedule
    // did, at a minute's turn, and rightly ran twice).
    const s = await schedule({ name: "Missed", cron: "0 0 1 1 *", prompt: "catch up" });
    const id = s.json.id as string;
    // Five fires missed: the schedule was due five years ago.
    const dueAt = new Date(Date.now() - 5 * 366 * 24 * 3600_000);
    await stack.db.schedule.update({ where: { id }, data: { nextRunAt: dueAt } });
    const [one, two] = await Promise.all([startScheduler(stack.stub), startScheduler(stack.stub)]);
    scheduler = one;
    try {
      await finishedRun(id);
      await new Promise((r) => setTimeout(r, 1_500)); // a few more ticks of both
      const all = await runs(id);
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({ status: "succeeded", dueAt: dueAt.toISOString() });
      const turns = await stack.db.turn.count({ where: { sessionId: all[0]!.sessionId! } });
      expect(turns).toBe(1);
      // The next fire is counted from now, not from the missed one.
      const next = await stack.db.schedule.findUniqueOrThrow({ where: { id } });
      expect(next.nextRunAt!.getTime()).toBeGreaterThan(Date.now());
    } finally {
      await api.patch(`/api/v1/schedules/${id}`, { enabled: false });
      await stopProcess(two);
    }
  }, 90_000);

  it("a scheduler killed during a run: the other does not start the run again", async () => {
    if (scheduler) await stopProcess(scheduler);
    const pair = await Promise.all([startScheduler(stack.stub), startScheduler(stack.stub)]);
    try {
      const sessionId = await api.newSession("Long");
      const s = await schedule({ name: "Long", sessionId, prompt: "[[slow]] a long one" });
      const id = s.json.id as string;
      await api.post(`/api/v1/schedules/${id}/run`);
      let run: Run | undefined;
      await waitUntil(
        async () => {
          run = (await runs(id)).find((r) => r.status === "running" && r.turnId);
          return Boolean(run) && (await stack.db.turn.count({ where: { id: run!.turnId! } })) === 1;
        },
        30_000,
        "the run's turn to start",
      );
      // Kill the scheduler running the turn (its job's lock and the turn's lease are left behind).
      // It says so just after the turn's row is written: on a busy machine, a moment later.
      let holder: (typeof pair)[number] | undefined;
      await waitUntil(
        async () => Boolean((holder = pair.find((p) => p.output().includes(run!.turnId!)))),
        15_000,
        "the scheduler running the turn to log it",
      );
      const other = pair.find((p) => p !== holder)!;
      holder!.kill("SIGKILL");
      // The survivor takes the stalled job, finds the run no longer queued, and leaves it; the turn
      // whose runner died is marked interrupted once its lease runs out, and the run records that.
      await waitUntil(
        async () => other.output().includes("not queued (taken or done)"),
        60_000,
        "the survivor to take over the stalled job",
      ).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}\nsurvivor:\n${other.output().slice(-3000)}`);
      });
      const ended = await finishedRun(id, 60_000);
      expect(ended).toMatchObject({ id: run!.id, status: "failed", attempts: 1, turnId: run!.turnId });
      expect(ended.error).toMatch(/stopped|interrupted/);
      expect(await stack.db.turn.count({ where: { sessionId } })).toBe(1);
      expect(await stack.db.scheduleRun.count({ where: { scheduleId: id } })).toBe(1);
    } finally {
      await Promise.all(pair.map((p) => stopProcess(p)));
      scheduler = undefined;
    }
  }, 150_000);
});
